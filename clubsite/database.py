"""Database engine settings: SQLite in WAL mode with immediate transactions, or PostgreSQL."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


def engine_options(database_url):
    """Engine options for the configured database."""
    if database_url.startswith("sqlite"):
        # One process, many threads; each connection waits rather than failing when busy.
        return {
            "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        }
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def configure_sqlite(engine: Engine):
    """WAL, foreign keys, busy timeout, and BEGIN IMMEDIATE for every transaction.

    A deferred SQLite transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first, whatever the busy timeout. Taking the write lock
    at BEGIN makes writers queue on the busy timeout instead. Reads in WAL mode still run alongside.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
