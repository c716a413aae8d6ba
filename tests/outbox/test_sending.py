"""The outbox job against a real SMTP server: down, refusing, accepting; every mail once."""

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.jobs.lease import Leases
from clubsite.outbox import send_due, summary
from clubsite.outbox.models import OutboxMessage
from clubsite.outbox.sender import retry_delay
from tests.outbox.conftest import start

T = OutboxMessage.__table__


def _rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _received(box):
    return Counter(rcpt for message in box.messages for rcpt in message["to"])


def test_a_sent_mail_arrives_once_and_its_body_is_deleted(app, write_mail, mailbox):
    """Sent: the server has it, the row keeps no address and no body."""
    _row, address = write_mail(text="Labdien, Jānis!")
    assert send_due() == {"sent": 1, "retry": 0, "failed": 0}
    [message] = mailbox.wait_for(1)
    assert message["to"] == [address] and "Jānis" in message["message"].get_body().get_content()
    [row] = _rows()
    assert row.status == "sent" and row.finished_at is not None and row.attempts == 1
    assert row.body_enc is None and row.recipient_enc is None and row.lease_owner is None
    assert send_due(utcnow() + timedelta(days=1))["sent"] == 0
    assert len(mailbox.messages) == 1


def test_mail_written_while_the_server_is_down_arrives_once_when_it_is_up(
    app, write_mail, down_mailbox
):
    """Down: every mail waits and is retried within a minute; up: each arrives exactly once."""
    addresses = [write_mail()[1] for _ in range(5)]
    now = utcnow()
    assert send_due(now) == {"sent": 0, "retry": 5, "failed": 0}
    rows = _rows()
    assert {row.status for row in rows} == {"queued"} and {r.last_error for r in rows} == {
        "connection"
    }
    assert all(now < as_utc(row.next_attempt_at) <= now + timedelta(minutes=1) for row in rows)
    assert summary().waiting == 5 and summary().oldest_waiting is not None
    start(down_mailbox)
    assert send_due(now + timedelta(seconds=5))["sent"] == 0  # not due yet
    assert send_due(now + timedelta(minutes=1))["sent"] == 5
    assert send_due(now + timedelta(hours=2))["sent"] == 0
    assert _received(down_mailbox) == Counter(addresses)
    assert {row.status for row in _rows()} == {"sent"}
    assert summary().waiting == 0 and summary().oldest_waiting is None


def test_a_mail_refused_4xx_twice_is_delivered_once_when_accepted(app, write_mail, mailbox):
    """Temporary refusals: retried after growing pauses, then delivered, once."""
    _row, address = write_mail()
    mailbox.replies[address] = ["451 4.7.1 Try again later", "452 4.2.2 Mailbox full"]
    now = utcnow()
    assert send_due(now)["retry"] == 1
    first = as_utc(_rows()[0].next_attempt_at) - now
    assert _rows()[0].last_error == "smtp_451"
    assert send_due(now + first + timedelta(seconds=1))["retry"] == 1
    second = as_utc(_rows()[0].next_attempt_at) - (now + first)
    assert second > first  # the pause grows
    assert send_due(now + first + second + timedelta(seconds=2))["sent"] == 1
    assert _received(mailbox) == {address: 1}
    [row] = _rows()
    assert row.status == "sent" and row.attempts == 3 and row.last_error is None


def test_a_mail_refused_5xx_is_failed_shown_and_never_retried(app, write_mail, mailbox):
    """Permanent refusal: failed with the code, content deleted; the next mail still goes."""
    _row, refused = write_mail()
    _row, fine = write_mail()
    mailbox.replies[refused] = ["550 5.1.1 No such user here"]
    assert send_due() == {"sent": 1, "retry": 0, "failed": 1}
    bad, good = _rows()
    assert (bad.status, bad.last_error, bad.attempts) == ("failed", "smtp_550", 1)
    assert bad.body_enc is None and bad.recipient_enc is None
    assert good.status == "sent"
    assert summary().failed == 1 and summary().waiting == 0
    assert send_due(utcnow() + timedelta(days=3)) == {"sent": 0, "retry": 0, "failed": 0}
    assert _rows()[0].attempts == 1
    assert _received(mailbox) == {fine: 1}


def test_retries_go_on_for_more_than_a_day_then_fail_visibly(app, write_mail, down_mailbox):
    """The first retry within a minute, pauses growing to an hour, giving up after 48 hours."""
    write_mail()
    created = as_utc(_rows()[0].created_at)
    now, tries = created, []
    while _rows()[0].status != "failed":
        send_due(now)
        tries.append(now)
        now = as_utc(_rows()[0].next_attempt_at)
    assert tries[1] - tries[0] <= timedelta(minutes=1)
    pauses = [round((b - a).total_seconds()) for a, b in zip(tries, tries[1:], strict=False)]
    assert pauses == sorted(pauses) and max(pauses) == 3600
    assert tries[-1] - created >= timedelta(hours=24)
    assert _rows()[0].last_error == "connection" and summary().failed == 1


def test_retry_delays_double_from_thirty_seconds_up_to_an_hour():
    assert [retry_delay(n, 30, 3600) for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]  # fmt: skip


def test_a_broken_line_puts_the_rest_of_the_batch_back(app, write_mail, mailbox):
    """421 (the server closes): the message is retried, the untried ones wait, none lost."""
    addresses = [write_mail()[1] for _ in range(3)]
    mailbox.replies[addresses[1]] = ["421 4.3.2 Closing"]
    now = utcnow()
    assert send_due(now) == {"sent": 1, "retry": 1, "failed": 0}
    untried = _rows()[2]
    assert untried.status == "queued" and untried.attempts == 0
    assert send_due(now + timedelta(minutes=1))["sent"] == 2
    assert _received(mailbox) == Counter(addresses)


def test_a_message_whose_sender_died_is_sent_when_its_lease_runs_out(app, write_mail, mailbox):
    """Claimed by a sender that was killed: left alone while leased, then sent once."""
    _row, address = write_mail()
    now = utcnow()
    dead = Leases(T, "dead-sender", 120)
    assert dead.claim(T.c.status == "queued", now, values={"status": "sending"})
    assert send_due(now + timedelta(seconds=60))["sent"] == 0
    assert send_due(now + timedelta(seconds=121))["sent"] == 1
    assert _received(mailbox) == {address: 1}


def test_two_senders_at_once_send_each_mail_once(app, write_mail, mailbox):
    """Two outbox jobs in parallel, each with its own app context, share the queue."""
    app.config["OUTBOX_BATCH_SIZE"] = 3
    addresses = [write_mail()[1] for _ in range(24)]
    gate, reports = threading.Barrier(2), []

    def sender():
        with app.app_context():
            gate.wait()
            reports.append(send_due())

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(report["sent"] for report in reports) == 24
    assert _received(mailbox) == Counter(addresses)


def test_old_records_of_final_mail_are_purged(app, write_mail, mailbox):
    """What is left of a sent or failed mail (no address, no body) goes after 30 days."""
    write_mail(), write_mail()
    send_due()
    old, recent = _rows()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == old.id)
        .values(finished_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    send_due()
    assert [row.id for row in _rows()] == [recent.id]
