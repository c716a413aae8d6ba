"""The delivery queue as the sender sees it: claim a batch under a lease, record each outcome.

Every method is one short transaction on a connection of the store's (not the caller's
session), committed at once, so no lock is held while mail is on the wire; per message it costs
one small UPDATE (clubsite.jobs.lease.SentMarker). The leases are those of clubsite.jobs.lease,
as the outbox's: on PostgreSQL the claim skips rows another sender has locked (FOR UPDATE SKIP
LOCKED); on SQLite every write transaction starts with BEGIN IMMEDIATE, so claims are serialised
and the UPDATE only takes rows whose lease is free. A row whose sender died becomes claimable
again when its lease runs out.
"""

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select, update

from clubsite.extensions import db
from clubsite.jobs.lease import FREE, Leases, SentMarker, patiently
from clubsite.newsletter import undeliverable
from clubsite.newsletter.models import Delivery, Newsletter

D = Delivery.__table__
N = Newsletter.__table__
OPEN = ("queued", "sending")
SENDING = D.c.status == "sending"  # a held delivery is being sent


@dataclass(frozen=True)
class Claim:
    """A delivery this sender holds the lease on."""

    id: int
    public_id: str
    newsletter_id: int
    member_id: int | None
    language: str
    basis: str
    attempts: int


def _ready(now):
    """Deliveries of campaigns that are sending, due now or abandoned by their sender (whose
    lease ran out: the lease's own check, clubsite.jobs.lease.lease_free)."""
    sending = select(N.c.id).where(N.c.status == "sending")
    return and_(
        D.c.newsletter_id.in_(sending),
        or_(and_(D.c.status == "queued", D.c.next_attempt_at <= now), D.c.status == "sending"),
    )


class DeliveryStore:
    """Claim, renew, mark sent, retry, fail, cancel and release deliveries for one sender: the
    leases of clubsite.jobs.lease (as the outbox's), plus the campaign-level reads."""

    def __init__(self, owner, lease_seconds):
        self.owner = owner
        self.engine = db.engine
        self.leases = Leases(D, owner, lease_seconds, engine=self.engine)
        self.sent = SentMarker(D, D.c.sent_at, owner, engine=self.engine)
        self.connection = None
        self.mark_statement = undeliverable.mark_statement(self.engine.dialect.name)

    def close(self):
        """Give the connections back to the pool (as they were lent)."""
        self.sent.close()
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _connected(self):
        if self.connection is None:
            # A pooled connection keeps SQLite's busy timeout: changing it here would leak to
            # whoever gets the connection next from the pool and fail their writes at once.
            self.connection = self.engine.connect()
        return self.connection

    def _run(self, statement, params=None, *, fetch=False):
        def attempt():
            connection = self._connected()
            try:
                result = connection.execute(statement, params or {})
                rows = result.all() if fetch else result.rowcount
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            return rows

        return patiently(self.engine, attempt)

    def claim(self, limit, now):
        """Lease up to `limit` due deliveries of campaigns that are sending; oldest first."""
        rows = self.leases.claim(
            _ready(now),
            now,
            limit=limit,
            values={"status": "sending", "attempts": D.c.attempts + 1},
            returning=(
                D.c.id, D.c.public_id, D.c.newsletter_id, D.c.member_id, D.c.language,
                D.c.basis, D.c.attempts,
            ),
        )  # fmt: skip
        return sorted((Claim(*row) for row in rows), key=lambda c: c.id)

    def renew(self, ids, now):
        """Extend the lease on deliveries still held."""
        self.leases.renew(ids, now)

    def mark_sent(self, delivery_id, now):
        """Record a delivery as handed to the mail server; False if the lease was lost."""
        return self.sent.mark_sent(delivery_id, now)

    def mark_retry(self, delivery_id, code, at):
        """Put a delivery back in the queue to try again at `at`."""
        values = {"status": "queued", "next_attempt_at": at, "last_error": code}
        self.leases.finish(delivery_id, values, SENDING)

    def mark_failed(self, delivery_id, code):
        """Record a permanent failure; the delivery is not tried again."""
        self.leases.finish(delivery_id, {"status": "failed", "last_error": code}, SENDING)

    def mark_undeliverable(self, delivery_id, code, mark):
        """Record a permanent refusal (5xx) and mark the address, in one transaction: the mark
        (clubsite.newsletter.undeliverable.mark_values) is written only if the lease was held."""

        def attempt():
            connection = self._connected()
            try:
                failed = (
                    update(D)
                    .where(self.leases.held([delivery_id]), SENDING)
                    .values(status="failed", last_error=code, **FREE)
                )
                if connection.execute(failed).rowcount == 1:
                    connection.execute(self.mark_statement, mark)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

        patiently(self.engine, attempt)
        undeliverable.forget_cached_marks()  # this process's outbox sees the mark at once

    def fail(self, ids, code):
        """Record held deliveries as failed for good (a campaign that cannot be sent at all)."""
        if ids:
            self.leases.release(ids, {"status": "failed", "last_error": code}, SENDING)

    def cancel(self, ids, code):
        """Cancel held deliveries that must not be sent (erased, no longer eligible)."""
        if ids:
            self.leases.release(ids, {"status": "cancelled", "last_error": code}, SENDING)

    def release(self, ids, at):
        """Give held deliveries back unsent (pause, lost connection); the attempt is refunded."""
        if ids:
            values = {"status": "queued", "next_attempt_at": at, "attempts": D.c.attempts - 1}
            self.leases.release(ids, values, SENDING)

    def campaign_statuses(self, newsletter_ids):
        """The current status of each campaign."""
        rows = self._run(select(N.c.id, N.c.status).where(N.c.id.in_(newsletter_ids)), fetch=True)
        return dict(rows)

    def finish_campaigns(self, now):
        """Mark sending campaigns without open deliveries as sent."""
        open_rows = select(D.c.id).where(D.c.newsletter_id == N.c.id, D.c.status.in_(OPEN)).exists()
        self._run(
            update(N)
            .where(N.c.status == "sending", ~open_rows)
            .values(status="sent", finished_at=now)
        )

    def _open_query(self, *columns):
        return (
            select(*columns)
            .select_from(D)
            .join(N, N.c.id == D.c.newsletter_id)
            .where(N.c.status == "sending", D.c.status.in_(OPEN))
        )

    def open_count(self):
        """Deliveries of sending campaigns that are not final yet."""
        return self._run(self._open_query(func.count(D.c.id)), fetch=True)[0][0]

    def next_due(self):
        """(when the next open delivery becomes claimable, whether some are leased now) or None.

        None means no campaign that is sending has an open delivery left.
        """
        due = func.min(func.coalesce(D.c.lease_until, D.c.next_attempt_at))
        leased = func.max(case((D.c.status == "sending", 1), else_=0))
        when, any_leased = self._run(self._open_query(due, leased), fetch=True)[0]
        return None if when is None else (when, bool(any_leased))
