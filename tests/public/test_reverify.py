"""The yearly accuracy mail: who gets it, once, with a link that opens "My data"."""

from datetime import timedelta

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.public.reverify import send_reverification_mails
from tests.conftest import csrf_token
from tests.public.helpers import ANNA, enrol, links_in, path_of
from tests.support.mailbox import text_body


def _members():
    now = utcnow()
    due = enrol(ANNA, ["access", "fees"])
    fresh = enrol({**ANNA, "email": "fresh@example.lv", "phone": ""}, ["access", "fees"])
    no_email = enrol({"first_name": "Ilze", "last_name": "Zariņa"}, ["access"])
    asked = enrol({**ANNA, "email": "asked@example.lv"}, ["access", "fees"])
    for member in (due, no_email, asked):
        member.last_verified_at = now - timedelta(days=400)
    fresh.last_verified_at = now - timedelta(days=10)
    asked.reverify_sent_at = now - timedelta(days=100)
    db.session.commit()
    return due


def test_only_members_due_are_asked_and_only_once(app, client, mailbox):
    """A year-old, never-asked member with an email gets one mail; the link opens My data."""
    due = _members()
    assert send_reverification_mails() == 1  # queued in the outbox with reverify_sent_at
    message = mailbox.wait_for(1)[0]["message"]
    assert message["To"] == ANNA["email"]
    assert "Are your details at" in message["Subject"]  # the member's language is English
    assert "once a year" in text_body(message).lower()
    db.session.refresh(due)
    assert as_utc(due.reverify_sent_at) > utcnow() - timedelta(minutes=1)
    assert send_reverification_mails() == 0

    link = next(path_of(u) for u in links_in(message) if "/mani-dati/parbaudit/" in u)
    assert client.post(link, data={"csrf_token": csrf_token(client, link)}).status_code == 302
    client.post("/mani-dati/pareizi", data={"csrf_token": csrf_token(client, "/mani-dati")})
    db.session.expire_all()
    assert as_utc(due.last_verified_at) > utcnow() - timedelta(minutes=1)


def test_asked_again_a_year_later(mailbox):
    """Someone who never answered is asked again after another year, not every night."""
    _members()
    send_reverification_mails()
    assert send_reverification_mails(now=utcnow() + timedelta(days=200)) == 0
    assert send_reverification_mails(now=utcnow() + timedelta(days=366)) >= 1
    mailbox.wait_for(2)
    assert len(mailbox.to(ANNA["email"])) == 2


def test_cli_command(runner, mailbox):
    """flask members reverify queues the mails and reports; the outbox sends them."""
    _members()
    result = runner.invoke(args=["members", "reverify", "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 re-verification mails" in result.output
    mailbox.wait_for(1)
