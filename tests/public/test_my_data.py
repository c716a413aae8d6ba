"""Self-service: a link by email (no enumeration), then see, download, correct and confirm."""

import csv
import io
import json
import time

from sqlalchemy import func, select

from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members.service import erase_member
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent
from clubsite.public import tokens
from clubsite.public.member_session import SESSION_KEY, UNTIL_KEY
from clubsite.public.models import UsedToken
from tests.conftest import csrf_token
from tests.public.helpers import (
    ANNA,
    english,
    enrol,
    links_in,
    open_my_data,
    path_of,
)

BORIS = {
    "first_name": "Boriss",
    "last_name": "Vītols",
    "email": "boriss@example.lv",
    "phone": "+371 2612 0002",
}


def _ask_link(client, email):
    token = csrf_token(client, "/mani-dati")
    return client.post("/mani-dati", data={"email": email, "csrf_token": token, "website": ""})


def test_link_request_answers_known_and_unknown_alike(client, mailbox):
    """Same status, same page and similar time; only a known address receives a mail."""
    english(client)
    enrol(ANNA, ["access", "fees"])
    answers = []
    for email in ("nobody@example.lv", ANNA["email"], "nobody2@example.lv", ANNA["email"]):
        started = time.perf_counter()
        response = _ask_link(client, email)
        answers.append((response, time.perf_counter() - started))
    statuses = {r.status_code for r, _t in answers}
    locations = {r.headers["Location"] for r, _t in answers}
    assert statuses == {302} and len(locations) == 1
    page = client.get(locations.pop()).get_data(as_text=True)
    assert "If this address is in our records" in page
    unknown_time = min(answers[0][1], answers[2][1])
    known_time = min(answers[1][1], answers[3][1])
    assert abs(known_time - unknown_time) < 0.25
    mailbox.wait_for(2)
    time.sleep(0.2)
    assert [m["to"] for m in mailbox.messages] == [[ANNA["email"]], [ANNA["email"]]]


def test_a_malformed_address_gets_a_form_error(client, mailbox):
    """A typo is pointed out (this reveals nothing about members)."""
    english(client)
    response = _ask_link(client, "anna(at)example.lv")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter a valid email address." in page and 'value="anna(at)example.lv"' in page


def test_link_requests_are_rate_limited_per_address(client):
    """A flood of requests for one address is stopped."""
    statuses = [_ask_link(client, "target@example.lv").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]


def test_emailed_link_opens_my_data_once(client, mailbox):
    """The mailed link shows a button; the click opens the page; the link works only once."""
    english(client)
    enrol(ANNA, ["access", "fees"])
    _ask_link(client, ANNA["email"])
    message = mailbox.wait_for(1)[0]["message"]
    link = next(path_of(u) for u in links_in(message) if "/mani-dati/atvert/" in u)
    assert ANNA["email"] not in link
    landing = client.get(link)
    assert "Open my data" in landing.get_data(as_text=True)
    assert "Send me the link" in client.get("/mani-dati").get_data(as_text=True)  # not open yet
    opened = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/mani-dati")
    page = client.get("/mani-dati").get_data(as_text=True)
    assert "Kalniņa" in page and "Fee administration" in page
    other = client.application.test_client()
    assert other.post(link, data={"csrf_token": csrf_token(other, link)}).status_code == 410


def test_page_shows_everything_by_purpose_and_is_audited(client):
    """Each purpose with its legal basis, retention and data; the read is in the audit log."""
    english(client)
    member = enrol({**ANNA, "postal_address": "Brīvības iela 10-5, Rīga"}, ["access", "fees"])
    open_my_data(client, member)
    page = client.get("/mani-dati").get_data(as_text=True)
    for text in (
        "Club access",
        "Fee administration",
        "Contract (GDPR Art. 6(1)(b))",
        "Until the membership ends, plus 30 days",
        "Brīvības iela 10-5, Rīga",
    ):
        assert text in page
    assert "+371 2612 0001" not in page  # no purpose of hers asked for the phone: not kept
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "self_service.viewed")
    ).one()
    assert (event.actor_type, event.actor_id, event.subject_id) == (
        "member",
        member.public_id,
        member.public_id,
    )
    assert "Kalniņa" not in event.fields and "last_name" in event.fields


def test_downloads_hold_exactly_this_members_data(client):
    """JSON and CSV carry this member's values and nothing of another member."""
    anna = enrol(ANNA, ["access", "fees", "newsletter"])
    boris = enrol(BORIS, ["access", "fees", "bookings"])
    boris_card = store.read(boris, ["card_number"])["card_number"]
    open_my_data(client, anna)
    as_json = client.get("/mani-dati/dati.json")
    assert as_json.status_code == 200
    assert as_json.headers["Content-Disposition"].startswith("attachment")
    export = json.loads(as_json.get_data(as_text=True))
    assert export["member_id"] == anna.public_id
    assert {k: v for k, v in export["data"].items() if k != "card_number"} == {
        "first_name": "Anna",
        "last_name": "Kalniņa",
        "email": ANNA["email"],
    }
    assert {p["purpose"] for p in export["purposes"]} == {"access", "fees", "newsletter"}
    as_csv = client.get("/mani-dati/dati.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(as_csv.removeprefix("\ufeff")), delimiter=";"))
    assert ["data", "", "email", ANNA["email"]] in rows
    for text in (as_json.get_data(as_text=True), as_csv):
        for value in (*BORIS.values(), "+37126120002", boris_card, boris.public_id):
            assert value not in text
    actions = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "self_service.exported")
    ).all()
    assert sorted(actions) == ["csv", "json"]


def test_correcting_details_saves_and_marks_them_verified(client):
    """A correction is stored, verified today, audited; a bad value is explained and kept."""
    english(client)
    member = enrol(ANNA, ["bookings"])
    member.last_verified_at = None
    db.session.commit()
    open_my_data(client, member)
    token = csrf_token(client, "/mani-dati")
    bad = client.post("/mani-dati/labot", data={**ANNA, "phone": "12", "csrf_token": token})
    page = bad.get_data(as_text=True)
    assert "This phone number does not exist" in page and 'value="12"' in page
    good = client.post(
        "/mani-dati/labot", data={**ANNA, "phone": "+371 2999 8888", "csrf_token": token}
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert store.read(member, ["phone"])["phone"] == "+37129998888"
    assert member.last_verified_at is not None
    assert (
        db.session.scalars(
            select(AuditEvent.fields).where(AuditEvent.action == "self_service.corrected")
        ).one()
        == "phone"
    )


def test_my_data_is_correct_button(client):
    """One click records that the details are right."""
    member = enrol(ANNA, ["access", "fees"])
    member.last_verified_at = None
    db.session.commit()
    open_my_data(client, member)
    client.post("/mani-dati/pareizi", data={"csrf_token": csrf_token(client, "/mani-dati")})
    db.session.expire_all()
    assert member.last_verified_at is not None


def test_tampered_or_wrong_kind_links_show_nothing(client):
    """A forged link, or a confirmation link used here, opens no one's data."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    good = tokens.issue("access", member)
    for token in (
        good[:-2] + ("xx" if not good.endswith("xx") else "yy"),
        tokens.issue("confirm", member),
    ):
        path = f"/mani-dati/atvert/{token}"
        response = client.post(path, data={"csrf_token": csrf_token(client, "/mani-dati")})
        assert response.status_code == 400
        assert "Kalniņa" not in response.get_data(as_text=True)
    page = client.get("/mani-dati").get_data(as_text=True)
    assert "Kalniņa" not in page and "Send me the link" in page


def test_session_ends_after_thirty_minutes(client):
    """An expired session shows nothing and actions are refused."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == member.public_id
        assert 29 * 60 < session[UNTIL_KEY] - time.time() <= 30 * 60
        session[UNTIL_KEY] = int(time.time()) - 1
    page = client.get("/mani-dati").get_data(as_text=True)
    assert "Kalniņa" not in page
    assert client.get("/mani-dati/dati.json").status_code == 302


def test_reverification_link_opens_my_data(client):
    """The yearly mail's link opens the same page."""
    member = enrol(ANNA, ["access", "fees"])
    response = open_my_data(client, member, kind="reverify")
    assert response.status_code == 302
    assert "Kalniņa" in client.get("/mani-dati").get_data(as_text=True)


def test_link_of_an_erased_member_opens_nothing_and_stays_unused(client):
    """A "My data" link for someone erased meanwhile opens no session and is not used up."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    token = tokens.issue("access", member)
    erase_member(member, actor=Actor.system(), reason="test")
    db.session.commit()
    path = f"/mani-dati/atvert/{token}"
    response = client.post(path, data={"csrf_token": csrf_token(client, "/mani-dati")})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert SESSION_KEY not in session
    assert db.session.scalar(select(func.count()).select_from(UsedToken)) == 0
