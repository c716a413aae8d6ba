"""The delivery queue as the sender sees it: claim a batch under a lease, record each outcome.

The store has a database connection of its own, and every method is one short transaction,
committed at once, so no lock is held while mail is on the wire; per message it costs one small
UPDATE. Leases make several senders safe: on PostgreSQL the claim skips rows another sender has
locked (FOR UPDATE SKIP LOCKED); on SQLite every write transaction starts with BEGIN IMMEDIATE,
so claims are serialised and the UPDATE only takes rows whose lease is free. A row whose sender
died becomes claimable again when its lease runs out.
"""

import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.exc import OperationalError

from clubsite.database import SQLITE_BUSY_TIMEOUT_MS
from clubsite.extensions import db
from clubsite.newsletter import undeliverable
from clubsite.newsletter.models import Delivery, Newsletter

D = Delivery.__table__
N = Newsletter.__table__
OPEN = ("queued", "sending")
_FREE_LEASE = {"lease_owner": None, "lease_until": None}


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
    """Deliveries that may be claimed now: due, or abandoned by a sender whose lease ran out."""
    return or_(
        and_(D.c.status == "queued", D.c.next_attempt_at <= now),
        and_(D.c.status == "sending", D.c.lease_until < now),
    )


def _held(*extra):
    """This sender's leased row (prebuilt: the per-message statements are compiled once)."""
    return and_(
        D.c.id == bindparam("delivery_id"),
        D.c.lease_owner == bindparam("owner"),
        D.c.status == "sending",
        *extra,
    )


# The one statement run for every message, handed to the database driver directly: through
# SQLAlchemy it would cost more than the write itself (on SQLite a BEGIN IMMEDIATE round trip and
# an execution context per call). A single UPDATE is atomic on its own.
SENT_SQL = (
    "UPDATE delivery SET status = 'sent', sent_at = {now}, last_error = NULL, "
    "lease_owner = NULL, lease_until = NULL "
    "WHERE id = {id} AND lease_owner = {owner} AND status = 'sending'"
)
PLACEHOLDERS = {
    "qmark": lambda name: "?",
    "named": lambda name: f":{name}",
    "format": lambda name: "%s",
    "pyformat": lambda name: f"%({name})s",
}
MARK_RETRY = (
    update(D)
    .where(_held())
    .values(status="queued", next_attempt_at=bindparam("at"), last_error=bindparam("code"))
    .values(**_FREE_LEASE)
)
MARK_FAILED = update(D).where(_held()).values(status="failed", last_error=bindparam("code"))
MARK_FAILED = MARK_FAILED.values(**_FREE_LEASE)


class DeliveryStore:
    """Claim, renew, mark sent, retry, fail, cancel and release deliveries for one sender."""

    def __init__(self, owner, lease_seconds):
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)
        self.engine = db.engine
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.connection = None
        self._prepare_sent()
        self.mark_statement = undeliverable.mark_statement(self.engine.dialect.name)

    def close(self):
        """Give the connection back to the pool (as it was lent)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _driver(self):
        """The DBAPI connection, connecting first."""
        if self.connection is None:
            # A pooled connection keeps SQLite's busy timeout: changing it here would leak to
            # whoever gets the connection next from the pool and fail their writes at once.
            self.connection = self.engine.connect()
        return self.connection.connection

    def _patiently(self, action):
        """Run action; while SQLite reports the write lock taken, try again shortly."""
        deadline, pause = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000, 0.00005
        while True:
            try:
                return action()
            except (sqlite3.OperationalError, OperationalError) as exc:
                if not self.sqlite or "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.005)

    def _run(self, statement, params=None, *, fetch=False):
        def attempt():
            self._driver()
            try:
                result = self.connection.execute(statement, params or {})
                rows = result.all() if fetch else result.rowcount
                self.connection.commit()
            except BaseException:
                self.connection.rollback()
                raise
            return rows

        return self._patiently(attempt)

    def claim(self, limit, now):
        """Lease up to `limit` due deliveries of campaigns that are sending; oldest first."""
        pick = (
            select(D.c.id)
            .join(N, N.c.id == D.c.newsletter_id)
            .where(N.c.status == "sending", _ready(now))
            .order_by(D.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=D)
            # Materialised, so PostgreSQL runs it once: as a plain IN subquery the planner may
            # re-run it per row, and SKIP LOCKED then hands back more rows than the LIMIT.
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        statement = (
            update(D)
            .where(D.c.id.in_(select(pick.c.id)), _ready(now))
            .values(
                status="sending",
                lease_owner=self.owner,
                lease_until=now + self.lease,
                attempts=D.c.attempts + 1,
            )
            .returning(
                D.c.id, D.c.public_id, D.c.newsletter_id, D.c.member_id, D.c.language,
                D.c.basis, D.c.attempts,
            )
        )  # fmt: skip
        rows = self._run(statement, fetch=True)
        return sorted((Claim(*row) for row in rows), key=lambda c: c.id)

    def _mine(self, ids):
        return and_(D.c.id.in_(ids), D.c.lease_owner == self.owner, D.c.status == "sending")

    def renew(self, ids, now):
        """Extend the lease on deliveries still held."""
        if ids:
            self._run(update(D).where(self._mine(ids)).values(lease_until=now + self.lease))

    def mark_sent(self, delivery_id, now):
        """Record a delivery as handed to the mail server; False if the lease was lost."""

        def attempt():
            driver = self._driver()  # outside any SQLAlchemy transaction
            cursor = driver.cursor()
            try:
                cursor.execute(self.sent_sql, self._sent_params(now, delivery_id))
                count = cursor.rowcount
                driver.commit()
            except BaseException:
                driver.rollback()
                raise
            finally:
                cursor.close()
            return count

        return self._patiently(attempt) == 1

    def _prepare_sent(self):
        """SENT_SQL in the driver's parameter style, and how to turn values into parameters."""
        dialect = self.engine.dialect
        mark = PLACEHOLDERS[dialect.paramstyle]
        self.sent_sql = SENT_SQL.format(now=mark("now"), id=mark("id"), owner=mark("owner"))
        to_db = D.c.sent_at.type.bind_processor(dialect) or (lambda value: value)
        if dialect.paramstyle in ("qmark", "format"):
            self._sent_params = lambda now, id_: (to_db(now), id_, self.owner)
        else:
            self._sent_params = lambda now, id_: {"now": to_db(now), "id": id_, "owner": self.owner}

    def mark_retry(self, delivery_id, code, at):
        """Put a delivery back in the queue to try again at `at`."""
        params = {"delivery_id": delivery_id, "owner": self.owner, "at": at, "code": code}
        self._run(MARK_RETRY, params)

    def mark_failed(self, delivery_id, code):
        """Record a permanent failure; the delivery is not tried again."""
        self._run(MARK_FAILED, {"delivery_id": delivery_id, "owner": self.owner, "code": code})

    def mark_undeliverable(self, delivery_id, code, mark):
        """Record a permanent refusal (5xx) and mark the address, in one transaction: the mark
        (clubsite.newsletter.undeliverable.mark_values) is written only if the lease was held."""

        def attempt():
            self._driver()
            try:
                params = {"delivery_id": delivery_id, "owner": self.owner, "code": code}
                if self.connection.execute(MARK_FAILED, params).rowcount == 1:
                    self.connection.execute(self.mark_statement, mark)
                self.connection.commit()
            except BaseException:
                self.connection.rollback()
                raise

        self._patiently(attempt)
        undeliverable.forget_cached_marks()  # this process's outbox sees the mark at once

    def fail(self, ids, code):
        """Record held deliveries as failed for good (a campaign that cannot be sent at all)."""
        if ids:
            values = {"status": "failed", "last_error": code, **_FREE_LEASE}
            self._run(update(D).where(self._mine(ids)).values(**values))

    def cancel(self, ids, code):
        """Cancel held deliveries that must not be sent (erased, no longer eligible)."""
        if ids:
            values = {"status": "cancelled", "last_error": code, **_FREE_LEASE}
            self._run(update(D).where(self._mine(ids)).values(**values))

    def release(self, ids, at):
        """Give held deliveries back unsent (pause, lost connection); the attempt is refunded."""
        if ids:
            values = {"status": "queued", "next_attempt_at": at, **_FREE_LEASE}
            self._run(update(D).where(self._mine(ids)).values(attempts=D.c.attempts - 1, **values))

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
