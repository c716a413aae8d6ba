"""Children (issue 14): a newsletter consent given online comes with "I am at least 13 years old"
(Latvia's age of digital consent), a separate box, required only with the consent; the ledger
keeps that sentence with the consent's wording, and no birth date is asked or stored."""

import re

from sqlalchemy import func, select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members.service import end_purpose, erase_member
from clubsite.privacy import consent
from clubsite.privacy.models import ConsentWording, Member
from clubsite.public import tokens
from tests.conftest import csrf_token
from tests.public.helpers import ANNA, english, enrol, member_with_email, news_state, open_my_data
from tests.public.helpers import sign_up as post_sign_up
from tests.support.htmlcheck import problems

AGE_LV = "Apliecinu, ka man ir vismaz 13 gadu."
AGE_EN = "I confirm that I am at least 13 years old."


def _members():
    return db.session.scalar(select(func.count()).select_from(Member))


def _box(page, name):
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def test_the_sign_up_form_has_a_separate_unticked_age_box_and_no_birth_date(client):
    """Beside the consent box, shown with the news choice, never ticked; no date of birth."""
    page = client.get("/pieteikties?choices=newsletter").get_data(as_text=True)
    assert AGE_LV in page
    assert "checked" not in _box(page, "age_confirmed")
    assert _box(page, "age_confirmed") != _box(page, "consent_newsletter")
    assert "birth" not in page.lower() and 'type="date"' not in page
    hidden = client.get("/pieteikties?choices=membership").get_data(as_text=True)
    assert re.search(r'data-age-box data-shown-for="newsletter" hidden', hidden)


def test_a_consent_without_the_age_box_is_refused_and_keeps_what_was_typed(client):
    """Consent ticked, age box empty: a clear message in the visitor's language, nothing stored."""
    english(client)
    response = post_sign_up(
        client, ["newsletter"], {"email": "maris@example.lv"}, age_confirmed=False
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "confirm that you are at least 13 years old" in page
    assert 'value="maris@example.lv"' in page
    assert "checked" in _box(page, "consent_newsletter")  # what was ticked stays ticked
    assert _members() == 0


def test_the_age_box_is_needed_only_with_the_consent(client):
    """Membership alone asks nothing about age; in Latvian the refusal is Latvian."""
    assert post_sign_up(client, ["membership"], ANNA).status_code == 302
    page = post_sign_up(
        client, ["newsletter"], {"email": "zane@example.lv"}, age_confirmed=False
    ).get_data(as_text=True)
    assert "apliecinājiet, ka jums ir vismaz 13 gadu" in page
    assert _members() == 1


def test_the_ledger_keeps_the_age_confirmation_after_erasure(client):
    """The 'given' event's stored wording carries the age sentence, also once detached."""
    post_sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    member = member_with_email(ANNA["email"])
    (event,) = consent.events(member, "newsletter")
    text = db.session.get(ConsentWording, event.wording_hash).text
    assert text == consent.wording_text("newsletter", "lv") + "\n" + AGE_LV
    erase_member(member, actor=Actor.system(), reason="test")
    db.session.commit()
    events = consent.proof_of_consent(ANNA["email"]).events
    (proof,) = [e for e in events if e.kind == "given"]
    assert proof.detached and AGE_LV in proof.wording


def test_my_data_asks_the_age_with_the_consent(client):
    """Subscribing on "My data" needs the age box too; with it the consent counts at once."""
    member = enrol(ANNA, ["access", "fees"])
    english(client)
    open_my_data(client, member)
    page = client.get("/mani-dati").get_data(as_text=True)
    assert AGE_EN in page and "checked" not in _box(page, "age_confirmed")
    digest = re.search(r'name="consent_newsletter_hash" type="hidden" value="(\w+)"', page)[1]
    data = {"consent_newsletter": "y", "consent_newsletter_hash": digest}
    token = csrf_token(client, "/mani-dati")
    refused = client.post("/mani-dati/jaunumi", data={**data, "csrf_token": token})
    assert refused.status_code == 200
    assert "confirm that you are at least 13 years old" in refused.get_data(as_text=True)
    assert news_state(member) == "none"
    client.post("/mani-dati/jaunumi", data={**data, "age_confirmed": "y", "csrf_token": token})
    assert news_state(member) == "active"
    (given, _confirmed) = consent.events(member, "newsletter")
    assert AGE_EN in db.session.get(ConsentWording, given.wording_hash).text


def test_the_add_purpose_page_asks_the_age_with_a_consent_given_there(client):
    """A news consent withdrawn between the sign-up and the click is asked for again on the
    landing page, with its age box; without the age it is refused and nothing is added."""
    member = enrol(ANNA, ["access", "fees"])
    english(client)
    post_sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    end_purpose(db.session.get(Member, member.id), "newsletter", actor=Actor.member(member))
    db.session.commit()
    path = "/pieteikties/pievienot/" + tokens.issue("purpose", member, purposes=["newsletter"])
    page = client.get(path).get_data(as_text=True)
    assert AGE_EN in page and "checked" not in _box(page, "consent_newsletter")
    digest = re.search(r'name="consent_newsletter_hash" type="hidden" value="(\w+)"', page)[1]
    data = {"consent_newsletter": "y", "consent_newsletter_hash": digest}
    token = csrf_token(client, path)
    refused = client.post(path, data={**data, "csrf_token": token})
    assert refused.status_code == 200
    assert "confirm that you are at least 13 years old" in refused.get_data(as_text=True)
    assert problems(refused.get_data(as_text=True)) == []
    assert news_state(member) == "withdrawn"
    done = client.post(path, data={**data, "age_confirmed": "y", "csrf_token": token})
    assert done.status_code == 200
    assert news_state(member) == "active"
    given = [e for e in consent.events(member, "newsletter") if e.kind == "given"][-1]
    assert given.source == "email-link"
    assert AGE_EN in db.session.get(ConsentWording, given.wording_hash).text
