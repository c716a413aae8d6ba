"""Backups: make a consistent snapshot in one encrypted file, list them, verify them.

SQLite is copied with its online backup API (a consistent snapshot while the club keeps
working); PostgreSQL is dumped table by table inside one REPEATABLE READ, READ ONLY transaction
(a consistent snapshot, in COPY format: clubsite.backup.pgcopy). Either payload is then
compressed and encrypted with the backup key (clubsite.backup.container). Restoring is in
restore.py.

The manifest records the audit chain's head as it is in the snapshot (`audit_head`), kept apart
from the database: a log whose newest events were later cut off (and its head row rewritten)
no longer reaches that head, which the database alone cannot show.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from clubsite.backup import pgcopy, tables
from clubsite.backup.container import (
    COMPRESSION,
    BackupError,
    extract_backup,
    key_fingerprint,
    read_manifest,
    write_backup,
)
from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.privacy import audit

NAME_RE = re.compile(r"clubsite-(\d{8}-\d{6})Z(?:-(\d+))?\.backup")
FORMAT = 1
STALE_WORK_SECONDS = 3600


@dataclass
class BackupFile:
    """A backup file found on disk (its time comes from its name; nothing is decrypted)."""

    name: str
    path: Path
    created_at: datetime
    size: int


@dataclass
class BackupResult:
    """What create_backup made."""

    path: Path
    manifest: dict
    seconds: float
    second_copy: Path | None = None
    second_error: str | None = None


def backup_key():
    """The configured backup key (kept apart from the data keys)."""
    return current_app.config["BACKUP_KEY"]


def backup_dir():
    """The backup folder, created with mode 0700 if missing."""
    path = Path(current_app.config["BACKUP_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def second_dir():
    """The optional second folder (a USB disk or a share), or None."""
    value = current_app.config.get("BACKUP_SECOND_DIR")
    return Path(value) if value else None


@contextlib.contextmanager
def work_dir():
    """A private scratch folder beside the backups, removed afterwards whatever happens."""
    base = backup_dir()
    _remove_stale_work(base)
    path = Path(tempfile.mkdtemp(prefix=".work-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_work(base):
    """Scratch folders left by a crash hold a decrypted copy, half-written files hold nothing
    useful: do not let them linger."""
    for entry in [*base.glob(".work-*"), *base.glob("*.backup.part")]:
        with contextlib.suppress(OSError):
            if time.time() - entry.stat().st_mtime > STALE_WORK_SECONDS:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()


def sqlite_path(engine=None):
    """The file of the app's SQLite database, or None when the database is not SQLite."""
    engine = engine or db.engine
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(_l("An in-memory database cannot be backed up."))
    return Path(database)


def list_backups(directory=None):
    """The backup files in a folder, newest first."""
    directory = Path(directory) if directory else backup_dir()
    found = []
    if not directory.is_dir():
        return found
    for entry in directory.iterdir():
        match = NAME_RE.fullmatch(entry.name)
        if match and entry.is_file():
            created = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            found.append(BackupFile(entry.name, entry, created, entry.stat().st_size))
    found.sort(key=lambda b: (b.created_at, b.name), reverse=True)
    return found


def resolve(name_or_path):
    """A backup named in the backup folder, or a path to one (e.g. on a USB disk)."""
    text = str(name_or_path or "")
    candidates = [Path(text)]
    if NAME_RE.fullmatch(text):
        candidates = [d / text for d in (backup_dir(), second_dir()) if d is not None]
    for path in candidates:
        if text and path.is_file():
            return path
    raise BackupError(_l("There is no backup file %(name)s.", name=text or "?"))


def describe(path):
    """The backup's authenticated manifest (reads only its first part)."""
    return read_manifest(path, backup_key())


def _new_path(directory, now):
    stem = f"clubsite-{now.astimezone(UTC):%Y%m%d-%H%M%S}Z"
    path = directory / f"{stem}.backup"
    counter = 1
    while path.exists() or path.with_name(path.name + ".part").exists():
        path = directory / f"{stem}-{counter}.backup"
        counter += 1
    return path


def _audit_head(conn):
    """The audit chain's head in a snapshot (the genesis value when its log is empty)."""
    if not sa.inspect(conn).has_table(audit.AuditHead.__tablename__):
        return None
    query = sa.select(audit.AuditHead.hash).where(audit.AuditHead.id == 1)
    return conn.execute(query).scalar() or audit.GENESIS


def _snapshot_sqlite(live_path, payload):
    """Copy the live SQLite file with the online backup API; return (revision, counts, audit
    head), the last two read from the copy."""
    source = sqlite3.connect(live_path, timeout=30)
    target = sqlite3.connect(payload)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    engine = sa.create_engine(f"sqlite:///{payload}")
    try:
        with engine.connect() as conn:
            return tables.schema_revision(conn), tables.table_counts(conn), _audit_head(conn)
    finally:
        engine.dispose()


class _HashingWriter:
    def __init__(self, handle):
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def write(self, data):
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)


def _dump_postgres(payload):
    """Every table, read in one REPEATABLE READ, READ ONLY transaction (one consistent
    snapshot), in COPY format; return (revision, counts, audit head), all of that snapshot."""
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with db.engine.connect().execution_options(**options) as conn, conn.begin():
        fd = os.open(payload, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            revision = tables.schema_revision(conn)
            head = _audit_head(conn)
            counts = pgcopy.write_copy_dump(conn, handle)
    return revision, counts, head


def _file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def create_backup(*, now=None, actor=None):
    """Make one backup file now (and a copy in the second folder); the caller commits."""
    started = time.perf_counter()
    now = now or utcnow()
    key = backup_key()
    key_fingerprint(key)  # refuses a missing or short key before any work
    directory = backup_dir()
    with work_dir() as work:
        payload = work / "payload"
        live = sqlite_path()
        if live is not None:
            revision, counts, head = _snapshot_sqlite(live, payload)
            kind = "sqlite"
        elif db.engine.dialect.name == "postgresql":
            revision, counts, head = _dump_postgres(payload)
            kind = "pgcopy"
        else:
            raise BackupError(_l("Backups support SQLite and PostgreSQL databases only."))
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).isoformat(),
            "kind": kind,
            "dialect": db.engine.dialect.name,
            "schema_revision": revision,
            "tables": counts,
            "audit_head": head,
            "compression": COMPRESSION,
            "payload_sha256": _file_sha256(payload),
            "payload_bytes": payload.stat().st_size,
        }
        path = _new_path(directory, now)
        part = path.with_name(path.name + ".part")
        try:
            write_backup(part, manifest, payload, key)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
    result = BackupResult(path, manifest, time.perf_counter() - started)
    _copy_to_second_dir(result)
    audit.record("backup.created", detail=path.name, actor=as_actor(actor))
    write_status(error=result.second_error)
    return result


def _copy_to_second_dir(result):
    target_dir = second_dir()
    if target_dir is None:
        return
    try:
        target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = target_dir / result.path.name
        part = target.with_name(target.name + ".part")
        shutil.copyfile(result.path, part)
        os.chmod(part, 0o600)
        os.replace(part, target)
        result.second_copy = target
    except OSError as exc:
        # The backup itself is fine; say plainly that the second copy is missing.
        result.second_error = f"second folder {target_dir}: {exc.strerror or exc}"
        current_app.logger.warning("backup: copy to the second folder failed: %s", exc.strerror)


def verify_backup(path):
    """Decrypt and check a backup completely (checksum, database integrity, row counts)."""
    with work_dir() as work:
        payload = work / "payload"
        manifest = extract_backup(path, backup_key(), payload)
        if manifest.get("kind") == "sqlite":
            check_sqlite_file(payload, manifest)
        else:
            with open(payload, "rb") as handle:
                counts = pgcopy.count_copy_dump(handle)
            if counts != manifest["tables"]:
                raise BackupError(_l("The backup's row counts do not match its manifest."))
    return manifest


def check_sqlite_file(path, manifest, *, thorough=True):
    """SQLite's own check (integrity_check, or quick_check when not thorough: no cross-check of
    indexes against tables, linear time), and the row counts against the manifest."""
    conn = sqlite3.connect(path)
    try:
        pragma = "integrity_check" if thorough else "quick_check"
        result = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
    except sqlite3.DatabaseError:
        result = "unreadable"
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(_l("The database inside the backup is damaged (integrity check)."))
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            counts = tables.table_counts(conn)
    finally:
        engine.dispose()
    if counts != manifest.get("tables"):
        raise BackupError(_l("The backup's row counts do not match its manifest."))


STATUS_FILE = ".status.json"


def status_path():
    """Where the outcome of the last attempt is kept."""
    return backup_dir() / STATUS_FILE


def write_status(*, error=None, now=None):
    """Remember the last attempt's time and error (no personal data)."""
    doc = {"last_attempt_at": (now or utcnow()).isoformat(), "last_error": error}
    path = status_path()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)
