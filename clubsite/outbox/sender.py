"""The outbox sender, run as a job: claim due messages under a lease, send, record each at once.

A pass claims due messages in batches (one UPDATE ... RETURNING each) and sends them over one
mail connection kept open for the whole pass. Each message the server took is recorded as
sent, its address and body deleted in the same UPDATE, before the next one can become final:
a message can go out twice only if the process dies between the server's acceptance and that
UPDATE, as with the newsletter sender. The UPDATE runs while the server reads the next
message's RCPT TO, and the areas' last checks of its recipient (clubsite.outbox.refusals) while
it reads MAIL FROM (clubsite.outbox.line): the database's latency hides behind the server's.
It is one prepared statement handed to the database driver on a connection the pass keeps
(through SQLAlchemy it would cost about what the SMTP exchange does). The leases are renewed
whenever a third of their time has gone, so a message is only handed over while it is held.

A temporary refusal (4xx, no connection) is retried with growing delays (30 s, 1, 2, 4, 8, 16,
32 min, then every hour) until OUTBOX_GIVE_UP_HOURS (48) after the message was written; a
permanent refusal (5xx) is recorded as failed and never retried, and so is a mail whose link
expired before it could go out. Each ends in an error code (smtp_550, connection, expired),
never in the server's text, which may quote the address.
"""

import logging
import smtplib
from collections import Counter
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.jobs import Every, job
from clubsite.jobs.lease import (
    Leases,
    SentMarker,
    moving_clock,
    owner_id,
    short_read,
    short_write,
)
from clubsite.mail import MailError, open_transport
from clubsite.outbox import deferred
from clubsite.outbox.line import Refused, envelope_sender, exchange
from clubsite.outbox.models import OPEN_STATUSES, OutboxMessage
from clubsite.outbox.refusals import refusal
from clubsite.outbox.service import open_message, purge_statements
from clubsite.privacy.crypto import CryptoError

log = logging.getLogger("clubsite.outbox")
T = OutboxMessage.__table__
DEFAULTS = {
    "OUTBOX_LEASE_SECONDS": 120,
    "OUTBOX_BATCH_SIZE": 100,
    "OUTBOX_RETRY_BASE_SECONDS": 30,
    "OUTBOX_RETRY_MAX_SECONDS": 3600,
    "OUTBOX_GIVE_UP_HOURS": 48,
}
# A sent message's address and body go in the same UPDATE that records it as sent.
CLEARED_WHEN_SENT = ("recipient_enc", "body_enc")
CLAIMED = (
    T.c.id, T.c.public_id, T.c.recipient_enc, T.c.body_enc, T.c.attempts, T.c.created_at,
    T.c.expires_at,
)  # fmt: skip


def setting(config, name):
    """An outbox setting from the app config, or its default."""
    value = config.get(name)
    return DEFAULTS[name] if value is None else value


def retry_delay(attempts, base, cap):
    """Seconds to wait after the `attempts`-th temporary failure: base, doubling, up to cap."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


@job("outbox", Every(5, "OUTBOX_EVERY_SECONDS"), _l("Sending mail"))
def send_due(now=None):
    """The outbox job: send every message due now; returns counts (sent, retry, failed).

    The caller's session is committed first: the outbox is written through connections of its
    own, and on SQLite an open transaction in this thread would hold the write lock they need.
    """
    db.session.commit()
    return OutboxSender(now).run()


class OutboxSender:
    """One pass over the outbox by one lease owner."""

    def __init__(self, now=None, *, owner=None, config=None):
        config = config or current_app.config
        self.clock = moving_clock(now or utcnow())
        self.leases = Leases(T, owner or owner_id(), setting(config, "OUTBOX_LEASE_SECONDS"))
        self.batch = int(setting(config, "OUTBOX_BATCH_SIZE"))
        self.base = float(setting(config, "OUTBOX_RETRY_BASE_SECONDS"))
        self.cap = float(setting(config, "OUTBOX_RETRY_MAX_SECONDS"))
        self.give_up = timedelta(hours=float(setting(config, "OUTBOX_GIVE_UP_HOURS")))
        self.ring = config["KEY_RING"]
        self.report = Counter()
        self.line = None  # the mail connection of this pass, opened on first use
        self.marker = SentMarker(T, T.c.finished_at, self.leases.owner, cleared=CLEARED_WHEN_SENT)
        self.envelope = envelope_sender(config["MAIL_FROM"])
        self.pending = None  # the message the server took last, not yet recorded as sent

    def run(self):
        """Claim and send batches until none is due; then purge old records. Returns counts."""
        try:
            while True:
                now = self.clock()
                ready = T.c.status.in_(OPEN_STATUSES) & (T.c.next_attempt_at <= now)
                rows = self.leases.claim(
                    ready, now, limit=self.batch, order_by=[T.c.id], returning=CLAIMED,
                    values={"status": "sending", "attempts": T.c.attempts + 1},
                )  # fmt: skip
                if rows:
                    self._send(rows, now)
                if len(rows) < self.batch:
                    break
        finally:
            self._record_pending()
            self._hang_up()
            self.marker.close()
        for statement in purge_statements(self.clock()):
            short_write(statement)
        return {"sent": 0, "retry": 0, "failed": 0, **self.report}

    def _transport(self):
        """The open mail connection of this pass, connecting first (MailError if it cannot)."""
        if self.line is None:
            connection = open_transport()
            self.line = (connection, connection.__enter__())
        return self.line[1]

    def _hang_up(self):
        line, self.line = self.line, None
        if line is not None:
            line[0].__exit__(None, None, None)

    def _send(self, rows, claimed_at):
        """Send a batch over the pass's connection; a broken line puts the rest back for later."""
        try:
            transport = self._transport()
        except MailError as exc:
            log.warning("outbox: cannot reach the mail server (code %s)", exc.code)
            for row in rows:
                self._retry(row, "connection")
            return
        held_until = claimed_at + self.leases.length
        for index, row in enumerate(rows):
            if self.clock() > held_until - self.leases.length * 2 / 3:
                held_until, lost = self._renew(rows[index:])
                if row.id in lost:
                    log.warning(
                        "outbox: message %s was taken over by another sender", row.public_id
                    )
                    self._count("lost")
                    continue
            if self._deliver(transport, row) == "connection_lost":
                self._hang_up()
                self._put_back(rows[index + 1 :])
                break

    def _renew(self, rows):
        """Renew the leases of the rest of a batch; (held until, ids no longer held)."""
        now = self.clock()
        ids = [row.id for row in rows]
        if self.leases.renew(ids, now) == len(ids):
            return now + self.leases.length, set()
        held = {key for (key,) in short_read(select(T.c.id).where(self.leases.held(ids)))}
        return now + self.leases.length, set(ids) - held

    def _deliver(self, transport, row):
        """Send one message; the one before it is recorded while this one is under way."""
        if row.expires_at is not None and as_utc(row.expires_at) <= self.clock():
            return self._fail(row, "expired")  # its link no longer works
        try:
            recipient, data = open_message(self.ring, row)
        except CryptoError:
            return self._fail(row, "unreadable")
        if deferred.is_deferred(data):
            # Checked before the work of making it (a month's invoice, PDF and all).
            refused = refusal(recipient, row.id)
            if refused:
                return self._fail(row, refused)
            data = self._render(row, data, recipient)
            if data is None:
                return "render"
            check = None
        else:
            check = row.id  # checked while the server reads MAIL FROM

        def last_check():
            # An address an area says not to mail (clubsite.outbox.refusals).
            return refusal(recipient, check) if check is not None else None

        connection = getattr(transport, "connection", None)
        try:
            if isinstance(connection, smtplib.SMTP):
                exchange(
                    connection, self.envelope, recipient, data,
                    check=last_check, record=self._record_pending,
                )  # fmt: skip
            else:  # the file transport: nothing on a wire
                self._record_pending()
                refused = last_check()
                if refused:
                    raise Refused(refused)
                transport.send(data, [recipient])
        except Refused as exc:
            self._record_pending()
            return self._fail(row, exc.code)
        except MailError as exc:
            self._record_pending()
            code = f"smtp_{exc.code}" if exc.code else "connection"
            if exc.temporary:
                self._retry(row, code)
            else:
                self._fail(row, code)
            return "connection_lost" if exc.code in (None, 421) else None
        self.pending = row
        return self._count("sent")

    def _render(self, row, data, recipient):
        """Make a deferred mail now (clubsite.outbox.deferred); None if it could not be made."""
        try:
            return deferred.resolve(current_app._get_current_object(), data, recipient)
        except deferred.RenderError:
            self._fail(row, "render")  # what it was made from is gone: never to be sent
        except Exception as exc:  # noqa: BLE001  (a busy database: the other mails go on)
            log.warning("outbox: message %s not rendered: %s", row.public_id, type(exc).__name__)
            self._retry(row, "render")
        return None

    def _record_pending(self):
        """Record the message the server took last as sent (if any)."""
        row, self.pending = self.pending, None
        if row is not None and not self.marker.mark_sent(row.id, self.clock()):
            log.warning("outbox: message %s was sent after its lease ran out", row.public_id)

    def _retry(self, row, code):
        now = self.clock()
        at = now + timedelta(seconds=retry_delay(row.attempts, self.base, self.cap))
        if row.expires_at is not None and at >= as_utc(row.expires_at):
            return self._fail(row, "expired")  # its link would no longer work by then
        if at > as_utc(row.created_at) + self.give_up:
            return self._fail(row, code)  # tried long enough: say so on the admin home
        values = {"status": "queued", "next_attempt_at": at, "last_error": code}
        self.leases.finish(row.id, values, T.c.status == "sending")
        return self._count("retry")

    def _fail(self, row, code):
        self._finish(row, {"status": "failed", "finished_at": self.clock(), "last_error": code})
        log.info("outbox: message %s failed for good (%s)", row.public_id, code)
        return self._count("failed")

    def _finish(self, row, values):
        """Record a final outcome, deleting the address and body with it."""
        values = {**values, "recipient_enc": None, "body_enc": None}
        return self.leases.finish(row.id, values, T.c.status == "sending")

    def _put_back(self, rows):
        """Messages claimed but not tried (the line broke): due again shortly, attempt refunded."""
        at = self.clock() + timedelta(seconds=self.base)
        values = {"status": "queued", "next_attempt_at": at, "attempts": T.c.attempts - 1}
        self.leases.release([row.id for row in rows], values, T.c.status == "sending")

    def _count(self, outcome):
        self.report[outcome] += 1
        return outcome
