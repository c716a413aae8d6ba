"""The sign-up form asks exactly the registry's fields for each choice; nothing else is stored."""

import html
import json
import re
from itertools import combinations

import pytest
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.members.forms import (
    TYPED_FIELDS,
    plan_for_choices,
    plan_for_purposes,
    purposes_for_choices,
)
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.purposes import FIELDS, SIGNUP_CHOICES, fields_for_choices
from tests.public.helpers import member_with_email, sign_up, signup_data

COMBINATIONS = [
    list(combo)
    for size in range(1, len(SIGNUP_CHOICES) + 1)
    for combo in combinations(SIGNUP_CHOICES, size)
]
FIELD_RE = re.compile(r'data-field="(\w+)" data-need="(\w*)"( hidden)?>')


def _asked(page):
    """{field: need} of the inputs the page shows (not hidden)."""
    return {name: need for name, need, hidden in FIELD_RE.findall(page) if not hidden}


def _expected(choices):
    required, optional, any_of = fields_for_choices(choices)
    return {
        **{f: "required" for f in required},
        **{f: "optional" for f in optional},
        **{f: "any_of" for f in any_of},
    }


@pytest.mark.parametrize("choices", COMBINATIONS, ids="+".join)
def test_form_asks_exactly_the_registry_fields(client, choices):
    """Step two (without script) shows the registry's fields for the choice, and no other."""
    response = client.post("/pieteikties", data=signup_data(client, choices, step="choose"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _asked(page) == _expected(choices)
    # Every other typed field is on the page only hidden, for the script to reveal in place.
    hidden = {name for name, _need, flag in FIELD_RE.findall(page) if flag}
    assert hidden == set(TYPED_FIELDS) - set(_expected(choices))
    assert ("consent_newsletter" in page) and (
        ('data-shown-for="newsletter" hidden' not in page) == ("newsletter" in choices)
    )


def test_first_step_asks_for_no_personal_data(client):
    """Before a choice is made, no input for personal data is shown."""
    page = client.get("/pieteikties").get_data(as_text=True)
    assert _asked(page) == {}


def test_script_plans_match_the_registry(client):
    """The plans the page gives its script are the registry's, for every combination."""
    page = client.get("/pieteikties").get_data(as_text=True)
    plans = json.loads(html.unescape(re.search(r"data-field-plans='([^']*)'", page).group(1)))
    assert len(plans) == 2 ** len(SIGNUP_CHOICES)
    for choices in COMBINATIONS:
        plan = plans["+".join(sorted(choices))]
        assert {name: spec["need"] for name, spec in plan.items()} == _expected(choices)
    # Optional and either-or fields say why they are asked; required ones need no excuse.
    for plan in plans.values():
        for spec in plan.values():
            assert bool(spec["hint"]) == (spec["need"] != "required")


def test_staff_form_uses_the_same_rule():
    """The back office's purpose-based plan equals the public choice-based one."""
    for choices in COMBINATIONS:
        assert plan_for_purposes(purposes_for_choices(choices)) == plan_for_choices(choices)


EVERYTHING = {
    "first_name": "Pēteris",
    "last_name": "Liepa",
    "postal_address": "Brīvības iela 10-5, Rīga, LV-1010",
    "iban": "LV80BANK0000435195001",
}


@pytest.mark.parametrize("index,choices", list(enumerate(COMBINATIONS)), ids=lambda v: str(v))
def test_extra_posted_fields_are_stored_nowhere(client, index, choices):
    """A POST carrying every field stores only those the choices ask for."""
    email = f"visitor{index}@example.lv"
    values = {
        **EVERYTHING,
        "email": email,
        "phone": f"+371 2600 {index:04d}",
        "personal_code": f"32{index:04d}-{index:05d}",
        "card_number": "99999999",  # issued by the club, never typed
    }
    response = sign_up(client, choices, values)
    assert response.status_code == 302, response.get_data(as_text=True)
    member = member_with_email(email)  # every combination asks for an email address
    asked = set(_expected(choices))
    stored = {name for name in FIELDS if member.has_field(name)} - {"card_number"}
    assert stored == asked
    for enrolment in member.purposes:
        assert set(enrolment.field_list) - {"card_number"} <= asked
    if member.has_field("card_number"):
        from clubsite.privacy import fields as store

        assert store.read(member, ["card_number"])["card_number"] != "99999999"
    created = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "member.created", AuditEvent.subject_id == member.public_id
        )
    )
    assert set(created.fields.split(",")) == stored
