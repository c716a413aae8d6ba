"""Database engine settings: SQLite in WAL (deferred reads, immediate writes), or PostgreSQL."""

import os
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
    path = sqlite_file(engine)

    @event.listens_for(engine, "do_connect")
    def _before_connect(_dialect, _record, _args, _kwargs):
        if path:
            create_private(path)  # before SQLite creates it with the umask's mode
        # returning None: SQLAlchemy goes on to connect as usual

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        if path:
            make_private(path)  # SQLite gives -wal and -shm the database file's mode
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        if path:
            make_private(path)  # the -wal and -shm files exist from here on

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def analyze(engine):
    """Gather the query planner's statistics of every table (after a bulk load, and nightly:
    clubsite.backup.upkeep). SQLite has none until it runs."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def sqlite_file(engine):
    """The path of an SQLite engine's database file, or None (in memory)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def create_private(path):
    """Create an empty database file readable by its owner only (0600), like the keys.

    SQLite would create it with the process's umask (usually 0644); an empty file is a valid
    database, so it is made first, privately, and SQLite opens it.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # a folder that does not exist yet: SQLite reports that itself


def make_private(path):
    """Mode 0600 for the database file and its -wal and -shm files, where they exist."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except OSError:
            continue


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
