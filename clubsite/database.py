"""Database engine settings: SQLite in WAL (deferred reads, immediate writes), or PostgreSQL."""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Whether the next SQLite transaction takes the write lock at BEGIN. Commands and jobs write, so
# they default to it; a web request reads in deferred transactions and asks for the lock only in
# its write step (clubsite.unit_of_work).
_begin_immediate: ContextVar[bool] = ContextVar("begin_immediate", default=True)


@contextmanager
def transactions_begin(immediate):
    """Make SQLite transactions begun inside the block immediate (writes) or deferred (reads)."""
    token = _begin_immediate.set(immediate)
    try:
        yield
    finally:
        _begin_immediate.reset(token)


def set_transactions_begin(immediate):
    """Set the mode for the rest of this context (a request); returns a token for reset."""
    return _begin_immediate.set(immediate)


def engine_options(database_url):
    """Engine options for the configured database."""
    if database_url.startswith("sqlite"):
        # One process, many threads; each connection waits rather than failing when busy.
        return {
            "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        }
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def configure_sqlite(engine: Engine):
    """WAL, foreign keys, busy timeout, and BEGIN IMMEDIATE for transactions that write.

    A deferred SQLite transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first, whatever the busy timeout. Taking the write lock
    at BEGIN makes writers queue on the busy timeout instead. Reads (deferred, in WAL mode) take
    no lock at all and run alongside each other and alongside the one writer.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def utcnow():
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def new_public_id():
    """A random public identifier for URLs (never a sequential id)."""
    return str(uuid.uuid4())


def as_utc(value):
    """SQLite returns naive datetimes; treat them as the UTC they were stored in."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
