"""Row leases: which process holds a row's work, and until when.

A row leased to `lease_owner` until `lease_until` is worked on by that process only. When the
holder dies, its lease runs out and any other process may claim the row again. Each change is
one short statement on a pooled connection of its own, committed at once, so no lock is held
while the work itself runs (mail on the wire, a backup being written) and the caller's session
is left alone.

- claim: one UPDATE ... WHERE <ready> AND <lease free or run out> ... RETURNING, atomic on
  both databases. On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so claimers take
  different rows instead of queueing behind each other; on SQLite every write transaction
  begins IMMEDIATE, so claims are serialised.
- renew, finish, release: UPDATE ... WHERE key IN (...) AND lease_owner = me, so a holder whose
  lease ran out and was claimed by someone else changes nothing (and learns it from the count).

The tables that use it have two columns, `lease_owner` (String(64)) and `lease_until`.
"""

import logging
import os
import socket
import sqlite3
import threading
import time
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError

from clubsite.database import SQLITE_BUSY_TIMEOUT_MS, transactions_begin
from clubsite.extensions import db

log = logging.getLogger(__name__)

FREE = {"lease_owner": None, "lease_until": None}


def owner_id():
    """A lease owner name unique to this process (host, pid and a random tag; no one's data)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{os.urandom(3).hex()}"


def moving_clock(start):
    """A clock that starts at `start` and runs at real speed (a test may move `start`)."""
    begun = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - begun)


def lease_free(table, now):
    """Rows nobody holds, or whose holder's lease ran out."""
    return or_(table.c.lease_owner.is_(None), table.c.lease_until < now)


def patiently(engine, action):
    """Run action; while SQLite reports the write lock taken, try again shortly (for a driver
    connection, which has no busy handler of SQLAlchemy's to wait for it)."""
    sqlite = engine.dialect.name == "sqlite"
    deadline, pause = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000, 0.00005
    while True:
        try:
            return action()
        except (sqlite3.OperationalError, OperationalError) as exc:
            if not sqlite or "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.005)


# How the driver of each parameter style names a parameter in a statement.
PLACEHOLDERS = {
    "qmark": lambda name: "?",
    "named": lambda name: f":{name}",
    "format": lambda name: "%s",
    "pyformat": lambda name: f"%({name})s",
}


class SentMarker:
    """Records leased rows as sent, one at a time, while the next one is on the wire.

    One UPDATE, prepared once in the driver's own parameter style and run on a pooled
    connection kept for the pass, one short transaction of the driver's per row (through
    SQLAlchemy each would cost about what the SMTP exchange does). It changes the row only
    while this owner's lease holds it: status 'sent', `stamp` the time, the lease, the last
    error and the `cleared` columns (what must not outlive sending) set to NULL. The outbox
    and the newsletter's deliveries are both marked by it.
    """

    def __init__(self, table, stamp, owner, *, cleared=(), engine=None):
        self.owner = owner
        self.engine = engine or db.engine
        self.connection = self.cursor = None
        dialect = self.engine.dialect
        mark = PLACEHOLDERS[dialect.paramstyle]
        nulls = ", ".join(f"{name} = NULL" for name in ("last_error", *cleared, *FREE))
        # Only the table's and columns' own names are put in, never a value.
        sets = f"status = 'sent', {stamp.name} = {mark('now')}, {nulls}"
        held = f"id = {mark('id')} AND lease_owner = {mark('owner')} AND status = 'sending'"
        self.sql = f"UPDATE {table.name} SET {sets} WHERE {held}"  # noqa: S608
        to_db = stamp.type.bind_processor(dialect) or (lambda value: value)
        if dialect.paramstyle in ("qmark", "format"):
            self.params = lambda now, key: (to_db(now), key, self.owner)
        else:
            self.params = lambda now, key: {"now": to_db(now), "id": key, "owner": self.owner}

    def close(self):
        """Give the connection back to the pool."""
        if self.connection is not None:
            self.cursor.close()
            self.connection.close()
            self.connection = self.cursor = None

    def mark_sent(self, key, now):
        """Record the row as handed to the mail server; False if the lease was lost."""
        if self.connection is None:
            # No transaction of SQLAlchemy's is begun on it: the driver's own, one per call.
            self.connection = self.engine.connect()
            self.cursor = self.connection.connection.cursor()
        driver = self.connection.connection

        def attempt():
            try:
                self.cursor.execute(self.sql, self.params(now, key))
                count = self.cursor.rowcount
                driver.commit()
            except BaseException:
                driver.rollback()
                raise
            return count == 1

        return patiently(self.engine, attempt)


def short_write(statement, params=None, *, fetch=False, engine=None):
    """Run one statement in a transaction of its own and commit it (rows, or the row count)."""
    engine = engine or db.engine
    with transactions_begin(immediate=True), engine.connect() as connection:
        result = connection.execute(statement, params or {})
        rows = result.all() if fetch else result.rowcount
        connection.commit()
    return rows


def short_read(statement, params=None, *, engine=None):
    """Run one query in a read transaction of its own (on SQLite: no lock)."""
    engine = engine or db.engine
    with transactions_begin(immediate=False), engine.connect() as connection:
        rows = connection.execute(statement, params or {}).all()
        connection.rollback()
    return rows


class Leases:
    """Claim, renew, finish and release leases on the rows of one table, for one owner."""

    def __init__(self, table, owner, seconds, *, key="id", engine=None):
        self.table = table
        self.key = table.c[key]
        self.owner = owner
        self.seconds = float(seconds)
        self.length = timedelta(seconds=self.seconds)
        self.engine = engine or db.engine

    def claim(self, ready, now, *, limit=1, order_by=None, values=None, returning=None):
        """Lease up to `limit` rows that are `ready` and free; returns the `returning` columns.

        `values` are written in the same UPDATE (a status, attempts + 1, a start time).
        """
        table = self.table
        claimable = and_(ready, lease_free(table, now))
        pick = (
            select(self.key)
            .where(claimable)
            .order_by(*(order_by if order_by is not None else [self.key]))
            .limit(limit)
            .with_for_update(skip_locked=True, of=table)
            # Materialised so PostgreSQL runs it once: re-run per row, SKIP LOCKED could hand
            # back more rows than the LIMIT.
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        statement = (
            update(table)
            .where(self.key.in_(select(pick.c[self.key.name])), claimable)
            .values(lease_owner=self.owner, lease_until=now + self.length, **(values or {}))
            .returning(*(returning if returning is not None else [self.key]))
        )
        return short_write(statement, fetch=True, engine=self.engine)

    def held(self, keys):
        """The condition "these rows, while this owner holds them"."""
        return and_(self.key.in_(list(keys)), self.table.c.lease_owner == self.owner)

    def renew(self, keys, now):
        """Extend the lease on rows still held; returns how many were."""
        keys = list(keys)
        if not keys:
            return 0
        statement = update(self.table).where(self.held(keys)).values(lease_until=now + self.length)
        return short_write(statement, engine=self.engine)

    def finish(self, key, values, *conditions):
        """Write `values` to one held row and give its lease up; False if it was not held."""
        return self.release([key], values, *conditions) == 1

    def release(self, keys, values=None, *conditions):
        """Give up the lease on held rows, writing `values` with it; returns how many were held."""
        keys = list(keys)
        if not keys:
            return 0
        statement = (
            update(self.table).where(self.held(keys), *conditions).values(**(values or {}), **FREE)
        )
        return short_write(statement, engine=self.engine)


class LeaseKeeper:
    """Renews leases from a thread of its own while a long piece of work runs in the caller's.

    Renewal stops when the block ends, or when the process dies: then the lease runs out and
    another process may take the work over. `.lost` tells whether someone else took it meanwhile.
    """

    def __init__(self, leases, keys, clock):
        self.leases = leases
        self.keys = list(keys)
        self.clock = clock
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def _loop(self):
        while not self._stop.wait(self.leases.seconds / 3):
            try:
                if self.leases.renew(self.keys, self.clock()) < len(self.keys):
                    self.lost = True
            except Exception as exc:  # noqa: BLE001  (a busy database: try again next time)
                log.warning("lease renewal failed: %s", type(exc).__name__)
