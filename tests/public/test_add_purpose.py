"""Adding a purpose online: a known address signing up again gets the same page as anyone, and a
mail whose link adds what was asked for once the person confirms it (issue 14)."""

import base64
from datetime import timedelta

from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.outbox.models import OutboxMessage
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ConsentEvent, Member
from clubsite.public import tokens
from tests.conftest import csrf_token
from tests.public.helpers import (
    ANNA,
    english,
    enrol,
    links_in,
    news_state,
    path_of,
    sign_up,
)
from tests.support.htmlcheck import problems
from tests.support.mailbox import text_body

ADD_PATH = "/pieteikties/pievienot/"


def _add_link(message):
    """The path of the add-purpose link in a mail (AssertionError if there is none)."""
    (path,) = [path_of(url) for url in links_in(message) if ADD_PATH in url]
    return path


def _post(client, path, **values):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **values})


def _purposes(member):
    db.session.expire_all()
    return sorted(p.purpose for p in db.session.get(Member, member.id).purposes)


def test_an_existing_member_adds_a_purpose_through_the_mailed_link(client, mailbox):
    """A news subscriber signs up for membership: nothing changes until the link; its page names
    the purposes and their data, asks only the missing last name (validated as the sign-up
    does), and one click adds both purposes on their contract, with a card, audited."""
    member = enrol({"email": ANNA["email"], "first_name": "Anna"}, ["newsletter"])
    english(client)
    response = sign_up(client, ["membership"], {**ANNA, "last_name": "Cita"})
    assert response.status_code == 302
    assert _purposes(member) == ["newsletter"]  # nothing typed on the form was stored
    assert store.read(member, ["last_name"]) == {}
    message = mailbox.wait_for(1)[0]["message"]
    body = text_body(message)
    assert "You are already with us, so nothing was changed." in body
    assert "You asked for: Club access, Fee administration." in body
    path = _add_link(message)
    token = path.removeprefix(ADD_PATH).split("?")[0]
    decoded = base64.urlsafe_b64decode(token.split(".")[0] + "==").decode("latin-1")
    assert "access" not in decoded and "@" not in decoded  # the purposes are sealed

    page = client.get(path).get_data(as_text=True)
    assert "Club access" in page and "Fee administration" in page
    assert "Card number" in page  # the data the purpose uses is named
    assert 'name="last_name"' in page and 'name="first_name"' not in page
    assert problems(page) == []
    assert _purposes(member) == ["newsletter"]  # opening the page adds nothing

    forged = client.post(path, data={"last_name": "Kalniņa"})  # no CSRF token
    assert forged.status_code == 400 and _purposes(member) == ["newsletter"]
    refused = _post(client, path, last_name="<script>")
    assert refused.status_code == 200
    assert 'class="field-error"' in refused.get_data(as_text=True)
    assert problems(refused.get_data(as_text=True)) == []
    assert _purposes(member) == ["newsletter"]  # rolled back; the link still works

    done = _post(client, path, last_name="Kalniņa")
    assert done.status_code == 200
    assert "Club access" in done.get_data(as_text=True)
    assert _purposes(member) == ["access", "fees", "newsletter"]
    fresh = db.session.get(Member, member.id)
    assert {p.purpose: p.legal_basis for p in fresh.purposes}["fees"] == "contract"
    assert store.read(fresh, ["last_name"]) == {"last_name": "Kalniņa"}
    assert fresh.has_field("card_number")
    assert "last_name" in fresh.purpose("access").field_list
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "self_service.purposes_added")
    ).one()
    assert (event.subject_id, event.fields, event.detail) == (
        member.public_id,
        "last_name",
        "access,fees",
    )
    again = _post(client, path, last_name="Kalniņa")
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_an_unknown_address_gets_the_same_page(client, mailbox):
    """Known and unknown addresses: the same redirect and page, one mail queued in each."""
    enrol(ANNA, ["access", "fees"])
    english(client)
    known = sign_up(client, ["bookings"], ANNA)
    unknown = sign_up(client, ["bookings"], {**ANNA, "email": "janis@example.lv"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    pages = [client.get(r.headers["Location"]).get_data(as_text=True) for r in (known, unknown)]
    assert pages[0] == pages[1]
    kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["signup_existing", "signup_welcome"]
    mailbox.wait_for(2)
    assert ADD_PATH in text_body(mailbox.to(ANNA["email"])[0]["message"])
    assert ADD_PATH not in text_body(mailbox.to("janis@example.lv")[0]["message"])


def test_a_news_consent_given_at_sign_up_is_confirmed_by_the_same_link(client, mailbox):
    """The ticked consent is 'given' at once (waiting, as a new sign-up's); the one link in the
    mail confirms it and lifts an earlier suppression of the address."""
    member = enrol(ANNA, ["access", "fees"])
    consent.suppress(ANNA["email"], "withdrawn")
    db.session.commit()
    english(client)
    sign_up(client, ["newsletter"], {"email": ANNA["email"]})
    assert news_state(member) == "pending"
    message = mailbox.wait_for(1)[0]["message"]
    assert not [url for url in links_in(message) if "/apstiprinat/" in url]  # one link only
    path = _add_link(message)
    assert "News and offers" in client.get(path).get_data(as_text=True)
    assert _post(client, path).status_code == 200
    assert news_state(member) == "active"
    confirmed = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.kind == "confirmed")
    ).one()
    assert (confirmed.source, confirmed.actor) == ("email-link", "member")
    assert db.session.get(Member, member.id).purpose("newsletter").keep_until is None
    assert not consent.is_suppressed(ANNA["email"])


def test_expired_tampered_and_finished_links_show_the_link_page(client):
    """Expired and forged links get the existing "this link does not work" page; a link whose
    purposes were all added meanwhile has nothing left to do."""
    member = enrol(ANNA, ["access", "fees"])
    english(client)
    old = tokens.issue(
        "purpose", member, purposes=["bookings"], issued_at=utcnow() - timedelta(days=7, hours=1)
    )
    response = client.get(ADD_PATH + old)
    assert response.status_code == 410 and "This link has expired" in response.get_data(
        as_text=True
    )
    good = tokens.issue("purpose", member, purposes=["bookings"])
    assert client.get(ADD_PATH + good[:-3] + "abc").status_code == 400
    assert client.get(ADD_PATH + tokens.issue("access", member)).status_code == 400
    done = tokens.issue("purpose", member, purposes=["access"])
    assert client.get(ADD_PATH + done).status_code == 409
    assert _post(client, ADD_PATH + done).status_code == 409


def test_the_mail_is_in_the_members_language(client, mailbox):
    """Signing up on the English page for a Latvian member: the mail is Latvian (its link asks
    for Latvian; a browser that chose English keeps it)."""
    member = enrol(ANNA, ["access", "fees"], language="lv")
    english(client)
    sign_up(client, ["bookings"], ANNA)
    message = mailbox.wait_for(1)[0]["message"]
    assert "Jūs pieteicāties: Zāles rezervācijas." in text_body(message)
    path = _add_link(message)
    assert "lang=lv" in path
    assert "Hall bookings" in client.get(path).get_data(as_text=True)
    assert _post(client, path).status_code == 200
    assert _purposes(member) == ["access", "bookings", "fees"]


def test_the_link_cannot_be_hammered(client):
    """Clicks on one add-purpose link are limited, whatever their outcome."""
    member = enrol(ANNA, ["access", "fees"])
    path = ADD_PATH + tokens.issue("purpose", member, purposes=["bookings"])
    statuses = [_post(client, path).status_code for _ in range(11)]
    assert statuses == [200] + [410] * 9 + [429]
    assert _purposes(member) == ["access", "bookings", "fees"]
