"""The back office's "add member" page: the same form builder, staff basis and proof of consent."""

import re

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.members.forms import plan_for_purposes
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ConsentEvent, MemberPurpose
from tests.conftest import csrf_token
from tests.public.helpers import ANNA, all_members, english, enrol, news_state

URL = "/office/members/new"
FIELD_RE = re.compile(r'data-field="(\w+)" data-need="(\w*)"( hidden)?>')


def _post(client, purposes, values=None, step="submit", **extra):
    data = {
        "csrf_token": csrf_token(client, URL),
        "purposes": purposes,
        "step": step,
        "language": "en",
        "newsletter_basis": "consent",
        **(values or {}),
        **extra,
    }
    return client.post(URL, data=data)


def test_form_asks_the_chosen_purposes_fields(client_for):
    """No fields before a choice; then exactly the registry's fields for those purposes."""
    staff = client_for("reception")
    english(staff)
    first = staff.get(URL).get_data(as_text=True)
    assert not [name for name, _n, hidden in FIELD_RE.findall(first) if not hidden]
    page = _post(staff, ["bookings", "newsletter"], step="choose").get_data(as_text=True)
    shown = {name: need for name, need, hidden in FIELD_RE.findall(page) if not hidden}
    expected = {
        name: spec.need for name, spec in plan_for_purposes(["bookings", "newsletter"]).items()
    }
    assert shown == expected
    assert all_members() == []


def test_staff_adds_a_member_with_proof_of_consent(client_for, mailbox):
    """Proof of consent is kept on the ledger, naming the staff member, but the consent still
    waits for the person: a confirmation mail goes out and it is pending until they confirm."""
    staff = client_for("admin")
    values = {**ANNA, "iban": "LV80BANK0000435195001", "personal_code": "320000-00000"}
    response = _post(
        staff,
        ["access", "fees", "newsletter"],
        values,
        consent_proof="signed paper form, 12.03.2026",
    )
    assert response.status_code == 302
    (member,) = all_members()
    assert member.language == "en"
    assert response.headers["Location"].endswith(f"/office/members/{member.public_id}")
    assert news_state(member) == "pending"
    given = db.session.scalars(select(ConsentEvent).where(ConsentEvent.kind == "given")).one()
    assert given.proof == "signed paper form, 12.03.2026"
    assert given.actor == f"staff:{staff.staff_user.public_id}"
    confirmed = select(ConsentEvent).where(ConsentEvent.kind == "confirmed")
    assert db.session.scalars(confirmed).all() == []
    fees = db.session.scalars(select(MemberPurpose).where(MemberPurpose.purpose == "fees")).one()
    assert fees.source == "staff" and "iban" in fees.field_list
    assert not member.has_field("phone")  # not asked for these purposes, so not stored
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.created")
    ).one()
    assert audit.actor_id == staff.staff_user.public_id
    message = mailbox.wait_for(1)[0]["message"]
    assert message["To"] == ANNA["email"]
    assert "/apstiprinat/" in message.get_body(preferencelist=("plain",)).get_content()


def test_without_proof_a_confirmation_mail_goes_out(client_for, mailbox):
    """Consent by staff without proof waits for the person's own confirmation by mail."""
    staff = client_for("reception")
    _post(staff, ["newsletter"], {"email": "paper@example.lv"})
    (member,) = all_members()
    assert news_state(member) == "pending"
    message = mailbox.wait_for(1)[0]["message"]
    assert message["To"] == "paper@example.lv"
    assert "/apstiprinat/" in message.get_body(preferencelist=("plain",)).get_content()


def test_soft_opt_in_needs_a_membership(client_for):
    """News under legitimate interest only for members of the club."""
    staff = client_for("admin")
    english(staff)
    page = _post(
        staff, ["newsletter"], {"email": "x@example.lv"}, newsletter_basis="legitimate_interest"
    ).get_data(as_text=True)
    assert "on legitimate interest is only for current members of the club" in page
    assert 'value="x@example.lv"' in page
    assert all_members() == []
    _post(staff, ["access", "newsletter"], {**ANNA}, newsletter_basis="legitimate_interest")
    (member,) = all_members()
    assert member.purpose("newsletter").legal_basis == "legitimate_interest"


def test_existing_person_links_to_the_member(client_for):
    """Staff may know: the page says so and links to the member; nothing is duplicated."""
    existing = enrol(ANNA, ["access", "fees"])
    staff = client_for("admin")
    english(staff)
    page = _post(staff, ["bookings"], {**ANNA}).get_data(as_text=True)
    assert "This person is already a member" in page
    assert f"/office/members/{existing.public_id}" in page
    assert len(all_members()) == 1
    assert [p.purpose for p in all_members()[0].purposes] == ["access", "fees"]
