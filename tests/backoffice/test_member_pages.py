"""The member pages show each role exactly what need-to-know allows."""

import json

import pytest
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.privacy import fields
from clubsite.privacy.models import ErasureJournal, Member
from tests.conftest import csrf_token
from tests.privacy.factories import JANIS, LIGA, enrol


def _search(client, query):
    """Search through the POST form, as the page does."""
    token = csrf_token(client, "/office/members")
    return client.post("/office/members", data={"q": query, "csrf_token": token}).get_data(
        as_text=True
    )


@pytest.fixture
def janis(app):
    return enrol(JANIS, ["access", "fees", "newsletter"])


def test_reception_sees_access_fields_but_not_fee_fields(client_for, janis):
    """Names and card for reception; no email, address or IBAN."""
    client = client_for("reception")
    body = client.get(f"/office/members/{janis.public_id}").get_data(as_text=True)
    card = fields.read(janis, ["card_number"])["card_number"]
    assert "Jānis" in body and card in body
    for hidden in ("janis.berzins@example.lv", "Brīvības iela", "LV80BANK"):
        assert hidden not in body


def test_accountant_sees_fee_fields_but_not_the_card(client_for, janis):
    """Email, address and IBAN for the accountant; the card number stays hidden."""
    body = client_for("accountant").get(f"/office/members/{janis.public_id}").get_data(as_text=True)
    assert "janis.berzins@example.lv" in body and "LV80BANK" in body
    assert fields.read(janis, ["card_number"])["card_number"] not in body


@pytest.mark.parametrize("role", ["marketing", "staff"])
def test_roles_without_personal_data_are_refused(client_for, janis, role):
    """Marketing and staff get 403 on member pages; no name appears."""
    client = client_for(role)
    for url in ["/office/members", f"/office/members/{janis.public_id}"]:
        response = client.get(url)
        assert response.status_code == 403
        assert "Jānis" not in response.get_data(as_text=True)


def test_untrained_reception_is_sent_to_the_training(client_for, janis):
    """A new reception user sees no personal data until the training is passed."""
    client = client_for("reception", trained=False)
    response = client.get(f"/office/members/{janis.public_id}")
    assert response.status_code == 302 and "/office/policy" in response.headers["Location"]
    from clubsite.privacy.policy import TRAINING

    token = csrf_token(client, "/office/policy")
    answers = {q.key: str(q.answer) for q in TRAINING}
    assert client.post("/office/policy", data={"csrf_token": token, **answers}).status_code == 302
    assert "Jānis" in client.get(f"/office/members/{janis.public_id}").get_data(as_text=True)


def test_wrong_training_answers_do_not_unlock(client_for, janis):
    """One wrong answer: still no personal data."""
    from clubsite.privacy.policy import TRAINING

    client = client_for("reception", trained=False)
    token = csrf_token(client, "/office/policy")
    answers = {q.key: str(1 - q.answer) for q in TRAINING}
    assert client.post("/office/policy", data={"csrf_token": token, **answers}).status_code == 200
    assert client.get(f"/office/members/{janis.public_id}").status_code == 302


@pytest.mark.parametrize(
    "query", ["berz", "BĒRZIŅŠ", "jān bērz", "+371 2612 3456", "JANIS.BERZINS@example.lv"]
)
def test_search_finds_by_name_prefix_phone_and_email(client_for, app, query):
    """Blind-index search: name prefixes (any case, with or without diacritics), email, phone."""
    member = enrol({**JANIS, "phone": "26123456"}, ["access", "fees", "bookings"])
    enrol(LIGA, ["bookings"])
    body = _search(client_for("admin"), query)
    assert f"/office/members/{member.public_id}" in body
    assert "Ozoliņa" not in body


def test_search_by_card_number(client_for, janis):
    """Reception finds a member by the card number."""
    card = fields.read(janis, ["card_number"])["card_number"]
    body = _search(client_for("reception"), card)
    assert f"/office/members/{janis.public_id}" in body


def test_list_shows_only_members_of_covered_purposes(client_for, app):
    """A newsletter-only member is not listed for reception."""
    enrol({"email": "news@example.lv", "first_name": "Ieva"}, ["newsletter"])
    visible = enrol(LIGA, ["bookings"])
    body = client_for("reception").get("/office/members").get_data(as_text=True)
    assert "Līga" in body and "Ieva" not in body and visible.public_id in body


def test_correction_with_stale_form_is_refused(client_for, janis):
    """Another staff member changed the record meanwhile: a clear message, nothing saved."""
    client = client_for("accountant")
    url = f"/office/members/{janis.public_id}/edit"
    token = csrf_token(client, url)
    data = {
        "csrf_token": token,
        "version": "999",
        "first_name": "Jānis",
        "last_name": "Bērziņš",
        "email": "changed@example.lv",
        "postal_address": JANIS["postal_address"],
        "iban": JANIS["iban"],
    }
    response = client.post(url, data=data)
    assert response.status_code == 200
    db.session.expire_all()
    assert fields.read(db.session.get(Member, janis.id), ["email"])["email"] == JANIS["email"]


def test_correction_saves_and_bad_values_keep_what_was_typed(client_for, janis):
    """An invalid email is refused with the typed value kept; a valid one is saved."""
    client = client_for("accountant")
    url = f"/office/members/{janis.public_id}/edit"
    base = {
        "csrf_token": csrf_token(client, url),
        "version": str(janis.version),
        "first_name": "Jānis",
        "last_name": "Bērziņš",
        "postal_address": JANIS["postal_address"],
        "iban": JANIS["iban"],
    }
    body = client.post(url, data={**base, "email": "broken@@x"}).get_data(as_text=True)
    assert 'value="broken@@x"' in body
    assert client.post(url, data={**base, "email": "new@example.lv"}).status_code == 302
    db.session.expire_all()
    assert fields.read(db.session.get(Member, janis.id), ["email"])["email"] == "new@example.lv"


def test_admin_erases_a_member_after_confirmation(client_for, janis):
    """The confirmation page lists what goes; the POST erases and journals the id."""
    client = client_for("admin")
    public_id, member_id = janis.public_id, janis.id
    url = f"/office/members/{public_id}/erase"
    page = client.get(url).get_data(as_text=True)
    assert "E-pasts" in page and "Kartes numurs" in page
    assert client.post(url, data={"csrf_token": csrf_token(client, url)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member_id) is None
    assert db.session.scalar(select(ErasureJournal.public_id)) == public_id


def test_admin_exports_a_member_for_a_subject_access_request(client_for, janis):
    """JSON and CSV downloads contain this member, with no-store caching."""
    from tests.support.exports import plain_export  # the plain file, after the warning

    client = client_for("admin")
    response = plain_export(client, f"/office/members/{janis.public_id}/export.json")
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.get_data(as_text=True))["data"]["email"] == JANIS["email"]
    csv_body = plain_export(client, f"/office/members/{janis.public_id}/export.csv").get_data(
        as_text=True
    )
    assert JANIS["email"] in csv_body


def test_unknown_member_is_404_and_says_nothing(client_for):
    """No hint whether an id exists."""
    response = client_for("admin").get("/office/members/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_ropa_page_for_admin(client_for):
    """The admin reads the record of processing activities."""
    body = client_for("admin").get("/office/ropa").get_data(as_text=True)
    assert body.count('class="card purpose stack"') == 4


def test_admin_home_counts_members_due_for_reverification_and_erasure(client_for, app):
    """The admin's home shows counts (never names) of data due for checks."""
    from datetime import timedelta

    from clubsite.database import utcnow

    stale = enrol(JANIS, ["access"])
    stale.last_verified_at = utcnow() - timedelta(days=400)
    enrol({"email": "pending@example.lv"}, ["newsletter"], confirmed=False)
    db.session.commit()
    client = client_for("admin")
    token = csrf_token(client, "/office/")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    body = client.get("/office/").get_data(as_text=True)
    assert "Due for re-verification" in body and '<span class="badge badge-warn">1</span>' in body
    assert "Jānis" not in body.replace(client.staff_user.name, "")


def test_search_terms_never_appear_in_a_url(client_for, janis):
    """The search form posts; the result page links carry only random public ids."""
    client = client_for("admin")
    body = client.get("/office/members").get_data(as_text=True)
    assert 'method="post" class="filters" role="search"' in body
    result = _search(client, "janis.berzins@example.lv")
    import re

    for href in re.findall(r'href="([^"]+)"', result):
        assert "berzins" not in href and "@" not in href
