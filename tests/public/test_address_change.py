"""A new email address typed on "My data" counts only once it has confirmed itself by mail;
then the old address is told, and every link mailed before stops working."""

import re
from datetime import timedelta

from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.newsletter.audience import audience_for
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import ConsentEvent
from clubsite.public import tokens
from tests.conftest import csrf_token
from tests.public.helpers import ANNA, english, enrol, links_in, news_state, open_my_data, path_of
from tests.support.mailbox import text_body

NEW = "anna.jauna@example.lv"
CONFIRM_PATH = "/mani-dati/jauna-adrese/"


def _email(member):
    db.session.expire_all()
    return store.read(member, ["email"]).get("email")


def _correct(client, values):
    token = csrf_token(client, "/mani-dati")
    return client.post("/mani-dati/labot", data={**values, "csrf_token": token})


def _ask_for(client, mailbox, member, new=NEW):
    """Type a new address on "My data"; the path of the link mailed to it."""
    open_my_data(client, member)
    response = _correct(client, {**ANNA, "email": new})
    assert response.status_code == 302
    mailbox.wait_for(1)
    [mail] = mailbox.to(new)
    return next(path_of(u) for u in links_in(mail["message"]) if CONFIRM_PATH in u)


def _hash_on(client, path):
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="news_hash" type="hidden" value="([0-9a-f]{64})"', page)
    return found.group(1) if found else ""


def _confirm(client, path, news=None):
    data = {"csrf_token": csrf_token(client, path), "news_hash": _hash_on(client, path)}
    if news:
        data["news"] = news
    return client.post(path, data=data)


def test_new_address_counts_only_once_it_confirms(client, mailbox):
    """Until the link mailed to the new address is opened, the old one stays; then the new one
    is stored, the old one is told (without being told where), and the link is used up."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    path = _ask_for(client, mailbox, member)
    assert NEW not in path and ANNA["email"] not in path
    assert _email(member) == ANNA["email"]
    page = client.get("/mani-dati").get_data(as_text=True)
    assert f"We have sent a link to {NEW}" in page
    mail_to_new = text_body(mailbox.to(NEW)[0]["message"])
    assert "Kalniņa" not in mail_to_new and "Anna" not in mail_to_new  # it names no one

    landing = client.get(path)
    assert landing.status_code == 200 and "Confirm my new address" in landing.get_data(as_text=True)
    assert _email(member) == ANNA["email"]  # opening the link alone changes nothing
    confirmed = _confirm(client, path)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/mani-dati")
    assert _email(member) == NEW
    mailbox.wait_for(2)
    [notice] = mailbox.to(ANNA["email"])
    assert "has been changed" in text_body(notice["message"])
    assert NEW not in text_body(notice["message"])
    assert _confirm(client, path).status_code == 410


def test_links_mailed_before_the_change_stop_working(client, mailbox):
    """Sign-up confirmation, "My data" and re-verification links mailed to the old address are
    refused once the new address has confirmed: none of them confirms or opens anything."""
    english(client)
    member = enrol(ANNA, ["fees", "newsletter"], confirmed=False)
    old_links = {
        "/apstiprinat/": tokens.issue("confirm", member),
        "/mani-dati/atvert/": tokens.issue("access", member),
        "/mani-dati/parbaudit/": tokens.issue("reverify", member),
    }
    path = _ask_for(client, mailbox, member)
    assert _confirm(client, path, news="stop").status_code == 302
    assert _email(member) == NEW
    stranger = client.application.test_client()
    for prefix, token in old_links.items():
        link = prefix + token
        response = stranger.post(link, data={"csrf_token": csrf_token(stranger, link)})
        assert response.status_code == 410, link
    assert "Kalniņa" not in stranger.get("/mani-dati").get_data(as_text=True)
    assert news_state(member) == "withdrawn"


def test_a_consent_for_the_old_address_does_not_count_for_the_new(client, mailbox):
    """Stopping the news on the confirmation page: the old address's consent ends (and it is
    suppressed), nothing is mailed to the new one, and no consent exists for it."""
    english(client)
    member = enrol(ANNA, ["fees", "newsletter"])
    assert member.id in {r.member_id for r in audience_for(False).recipients}
    path = _ask_for(client, mailbox, member)
    page = client.get(path).get_data(as_text=True)
    assert "Confirm, and send the news here" in page and "send me no more news" in page
    assert _confirm(client, path, news="stop").status_code == 302
    db.session.expire_all()
    assert _email(member) == NEW
    assert member.purpose("newsletter") is None
    assert member.id not in {r.member_id for r in audience_for(False).recipients}
    assert consent.is_suppressed(ANNA["email"])
    proof = consent.proof_of_consent(NEW)
    assert not [e for e in proof.events if e.kind in ("given", "confirmed")]


def test_keeping_the_news_is_a_consent_confirmed_by_the_new_address(client, mailbox):
    """ "Send the news here": the ledger ends the old address's consent and records a consent
    given and confirmed for the new one; the news then go to the new address only."""
    english(client)
    member = enrol(ANNA, ["access", "newsletter"])
    path = _ask_for(client, mailbox, member)
    assert _confirm(client, path, news="keep").status_code == 302
    assert news_state(member) == "active"
    events = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member.id).order_by(ConsentEvent.id)
    ).all()
    old, new = consent.address_hash(ANNA["email"]), consent.address_hash(NEW)
    assert [(e.kind, bytes(e.address_hash)) for e in events] == [
        ("given", old),
        ("confirmed", old),
        ("withdrawn", old),
        ("given", new),
        ("confirmed", new),
    ]
    assert events[-2].wording_hash is not None
    [recipient] = audience_for(False, addresses=True).recipients
    assert recipient.email == NEW


def test_without_a_choice_about_the_news_nothing_changes(client, mailbox):
    """A subscriber must say whether the news go on; where only the news use the address,
    they are stopped on "My data" instead (confirming an address nothing would keep makes no
    sense)."""
    english(client)
    member = enrol({"email": ANNA["email"], "first_name": "Anna"}, ["newsletter"])
    open_my_data(client, member)
    _correct(client, {"email": NEW, "first_name": "Anna"})
    mailbox.wait_for(1)
    path = next(path_of(u) for u in links_in(mailbox.to(NEW)[0]["message"]) if CONFIRM_PATH in u)
    assert "send me no more news" not in client.get(path).get_data(as_text=True)
    for news in (None, "stop"):
        response = _confirm(client, path, news=news)
        assert response.status_code == 400
    assert _email(member) == ANNA["email"] and news_state(member) == "active"
    assert _confirm(client, path, news="keep").status_code == 302
    assert _email(member) == NEW


def test_an_expired_link_changes_nothing(client, mailbox):
    """The new-address link works for 24 hours."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    late = tokens.issue("email", member, address=NEW, issued_at=utcnow() - timedelta(hours=25))
    path = CONFIRM_PATH + late
    assert client.get(path).status_code == 410
    assert client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code == 410
    assert _email(member) == ANNA["email"]


def test_an_address_another_member_has_is_refused_at_confirmation(client, mailbox):
    """Asking reveals nothing (the same answer and mail); the confirmation, seen only by the
    owner of that address, says it is taken, and the link stays usable."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    enrol({**ANNA, "email": NEW, "first_name": "Cita"}, ["access", "fees"])
    path = _ask_for(client, mailbox, member)
    response = _confirm(client, path)
    assert response.status_code == 400
    assert "Another member already has this email" in response.get_data(as_text=True)
    assert _email(member) == ANNA["email"]
    assert client.get(path).status_code == 200


def test_a_forged_or_wrong_kind_link_is_refused(client):
    """A "My data" link cannot be used as a new-address link, nor one signed elsewhere."""
    english(client)
    member = enrol(ANNA, ["access", "fees"])
    good = tokens.issue("email", member, address=NEW)
    for token in (tokens.issue("access", member), good[:-3] + "abc", "x" * 2000):
        assert client.get(CONFIRM_PATH + token).status_code == 400
    assert _email(member) == ANNA["email"]


def test_change_requests_are_rate_limited_per_new_address(client, mailbox):
    """Nobody floods a stranger's mailbox from "My data"; other corrections are not counted."""
    member = enrol(ANNA, ["access", "fees"])
    open_my_data(client, member)
    for number in range(6):  # corrections that mail nothing do not count
        assert _correct(client, {**ANNA, "phone": f"+371 2612 000{number}"}).status_code == 302
    statuses = [_correct(client, {**ANNA, "email": NEW}).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    mailbox.wait_for(5)
    mailbox.flush()
    assert len(mailbox.to(NEW)) == 5
