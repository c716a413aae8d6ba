"""Sending over a real SMTP server: once each, right headers and parts, retries, leases."""

import re

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.members import service as members
from clubsite.newsletter import service
from clubsite.newsletter.models import Delivery
from clubsite.newsletter.store import DeliveryStore
from clubsite.privacy import consent
from clubsite.privacy.models import ConsentEvent
from tests.newsletter.conftest import withdraw_in_ledger
from tests.support.mailbox import text_body

LV = ("Ziemas jaunumi", "Sveiki! Sākas **ziemas** sezona.\n\n- slidotava\n- sauna")
EN = ("Winter news", "Hello! The **winter** season begins.")
HEADER_RE = re.compile(
    rb"\r\nList-Unsubscribe: <(http://localhost/u/[A-Za-z0-9_.-]+)>, "
    rb"<mailto:klubs@localhost\?subject=unsubscribe%20[A-Za-z0-9_.-]+>\r\n"
)


def _deliveries(newsletter):
    return {d.member_id: d for d in db.session.scalars(
        select(Delivery).where(Delivery.newsletter_id == newsletter.id))}  # fmt: skip


def test_campaign_arrives_once_each_with_headers_parts_and_language(
    app, client, mailbox, subscriber, soft_member, enrol, queued, drain
):
    """N members get one mail each, in Latvian or English by their language; one-click works."""
    latvians = [subscriber(first_name="Jānis") for _ in range(3)]
    english = [subscriber(language="en", first_name="Emily") for _ in range(2)]
    soft_member()  # an ordinary newsletter does not reach the soft opt-in
    enrol(["newsletter"], confirmed=False)  # unconfirmed double opt-in
    campaign = queued(lv=LV, en=EN)
    report = drain()
    assert report["sent"] == 5
    messages = mailbox.wait_for(5)
    assert len(messages) == 5
    addresses = {m.email: m for m in [*latvians, *english] for m in [_Addr(m)]}
    assert sorted(rcpt for m in messages for rcpt in m["to"]) == sorted(addresses)
    ids = {m["message"]["Message-ID"] for m in messages}
    assert len(ids) == 5
    for item in messages:
        raw, msg = item["raw"], item["message"]
        member = addresses[item["to"][0]].member
        assert HEADER_RE.search(raw), raw[:600]
        assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
        assert msg["To"] == item["to"][0]
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        html = msg.get_body(("html",)).get_content()
        text = text_body(msg)
        if member.language == "en":
            assert msg["Subject"] == "Winter news" and msg["Content-Language"] == "en"
            assert "Hello, Emily!" in text and "<strong>winter</strong>" in html
        else:
            assert msg["Subject"] == "Ziemas jaunumi" and msg["Content-Language"] == "lv"
            # No vocative from a raw name in Latvian (tests/test_latvian_text.py).
            assert "Labdien!" in text and "Jānis" not in text
            assert "<strong>ziemas</strong>" in html
            assert "- slidotava" in text
        assert HEADER_RE.search(raw).group(1).decode() in text
        assert "/u/" in html and member.public_id not in raw.decode("ascii")
    db.session.refresh(campaign)
    assert campaign.status == "sent" and campaign.finished_at is not None
    assert service.statistics(campaign)["sent"] == 5

    # The link in the header unsubscribes with one click (RFC 8058 POST, no cookie, no CSRF).
    target = _Addr(english[0])
    public_id = english[0].public_id
    message = mailbox.to(target.email)[0]
    url = HEADER_RE.search(message["raw"]).group(1).decode()
    response = app.test_client().post(
        url.removeprefix("http://localhost"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert consent.is_suppressed(target.email)
    # The newsletter was the member's only purpose, so the member is erased altogether.
    assert members.member_by_public_id(public_id) is None
    assert service.statistics(campaign)["unsubscribed"] == 1


class _Addr:
    """A member's address (tests may read it; staff pages never show it)."""

    def __init__(self, member):
        from clubsite.privacy import fields

        self.member = member
        self.email = fields.read(member, ["email"])["email"]


def test_temporary_refusal_is_retried_then_accepted(mailbox, subscriber, queued, drain):
    """A 451 puts the delivery back with a delay; the next run after the delay sends it."""
    picky, other = subscriber(), subscriber()
    address = _Addr(picky).email
    mailbox.replies[address] = ["451 4.3.0 Try again later"]
    campaign = queued()
    drain()
    delivery = _deliveries(campaign)[picky.id]
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("queued", 1, "smtp_451")
    assert mailbox.to(address) == [] and len(mailbox.to(_Addr(other).email)) == 1
    drain()  # not due yet: nothing happens
    assert _deliveries(campaign)[picky.id].attempts == 1
    drain(later=61)
    delivery = _deliveries(campaign)[picky.id]
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, None)
    assert len(mailbox.to(address)) == 1
    db.session.refresh(campaign)
    assert campaign.status == "sent"


def test_permanent_refusal_fails_without_retry(mailbox, subscriber, queued, drain):
    """A 550 is recorded as failed at once and never tried again."""
    member = subscriber()
    address = _Addr(member).email
    mailbox.replies[address] = ["550 5.1.1 No such user"]
    campaign = queued()
    drain()
    drain(later=10**6)
    delivery = _deliveries(campaign)[member.id]
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "smtp_550")
    assert mailbox.messages == []
    db.session.refresh(campaign)
    assert campaign.status == "sent"
    assert service.statistics(campaign)["failed"] == 1


def test_temporary_refusals_give_up_after_the_last_attempt(app, mailbox, subscriber, queued, drain):
    """After NEWSLETTER_MAX_ATTEMPTS temporary refusals the delivery fails for good."""
    app.config["NEWSLETTER_RETRY_DELAYS"] = (0,)
    app.config["NEWSLETTER_MAX_ATTEMPTS"] = 3
    member = subscriber()
    mailbox.replies[_Addr(member).email] = ["452 4.2.2 Mailbox full"] * 10
    campaign = queued()
    drain()
    delivery = _deliveries(campaign)[member.id]
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "smtp_452")
    assert len(mailbox.replies[_Addr(member).email]) == 7


def test_people_who_left_after_send_was_pressed_are_not_mailed(mailbox, subscriber, queued, drain):
    """Erased, withdrawn or suppressed after the audience was frozen: cancelled, never sent."""
    stays, erased, withdrawn, suppressed = (subscriber() for _ in range(4))
    suppressed_address = _Addr(suppressed).email
    campaign = queued()
    members.erase_member(erased, actor="system")
    withdraw_in_ledger(withdrawn)
    consent.suppress(suppressed_address, "bounced")
    db.session.commit()
    drain()
    assert [m["to"] for m in mailbox.messages] == [[_Addr(stays).email]]
    rows = db.session.scalars(select(Delivery).where(Delivery.newsletter_id == campaign.id)).all()
    by_error = sorted((d.status, d.last_error) for d in rows)
    assert by_error == [
        ("cancelled", "erased"),
        ("cancelled", "not_eligible"),
        ("cancelled", "not_eligible"),
        ("sent", None),
    ]
    assert sum(d.member_id is None for d in rows) == 1  # the erased member's link is gone


def test_pause_resume_and_cancel(mailbox, subscriber, queued, drain):
    """A paused campaign sends nothing until resumed; a cancelled one never again."""
    for _ in range(3):
        subscriber()
    campaign = queued()
    service.set_paused(campaign, True)
    db.session.commit()
    assert drain()["sent"] == 0
    service.set_paused(campaign, False)
    db.session.commit()
    assert drain()["sent"] == 3

    other = queued(lv=("Otrā", "Teksts"))
    service.cancel(other)
    db.session.commit()
    assert drain()["sent"] == 0
    assert service.statistics(other)["cancelled"] == 3


def test_leases_keep_two_senders_apart(app, subscriber, queued):
    """Claims never overlap; an expired lease can be claimed again; a lost lease cannot record."""
    from datetime import timedelta

    from clubsite.database import utcnow

    for _ in range(5):
        subscriber()
    queued()
    first, second = DeliveryStore("one", 60), DeliveryStore("two", 60)
    now = utcnow()
    a = first.claim(3, now)
    b = second.claim(3, now)
    assert len(a) == 3 and len(b) == 2
    assert not {c.id for c in a} & {c.id for c in b}
    assert second.claim(3, now) == []
    later = now + timedelta(seconds=61)
    taken = second.claim(3, later)
    assert {c.id for c in taken} == {c.id for c in a}
    assert not first.mark_sent(a[0].id, later)  # the lease moved on: no record by the old owner
    assert second.mark_sent(a[0].id, later)
    first.close()
    second.close()


def test_cli_sends_the_queue(runner, mailbox, subscriber, queued):
    """`flask newsletter send-queued` drains the queue and reports."""
    for _ in range(2):
        subscriber()
    queued()
    result = runner.invoke(args=["newsletter", "send-queued", "--rate", "0"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert len(mailbox.wait_for(2)) == 2


def test_ledger_is_untouched_by_sending(subscriber, queued, drain, mailbox):
    """Sending reads consents; it never writes to the ledger."""
    subscriber()
    before = db.session.scalar(select(ConsentEvent.id).order_by(ConsentEvent.id.desc()).limit(1))
    queued()
    drain()
    after = db.session.scalar(select(ConsentEvent.id).order_by(ConsentEvent.id.desc()).limit(1))
    assert before == after
