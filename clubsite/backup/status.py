"""The state of backups for people: the last one, its age, the last failure, and the list."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from clubsite.backup.container import BackupError, key_fingerprint
from clubsite.backup.service import (
    backup_dir,
    backup_key,
    describe,
    list_backups,
    second_dir,
    status_path,
)
from clubsite.database import utcnow

STALE_AFTER = timedelta(days=2)


def read_status():
    """The last attempt's time and error, if one was recorded."""
    try:
        doc = json.loads(status_path().read_text())
    except (OSError, ValueError):
        return {"last_attempt_at": None, "last_error": None}
    if doc.get("last_attempt_at"):
        doc["last_attempt_at"] = datetime.fromisoformat(doc["last_attempt_at"])
    return doc


def last_backup():
    """The newest backup file, or None."""
    found = list_backups()
    return found[0] if found else None


@dataclass
class Overview:
    """Everything the backups page shows (no personal data)."""

    backups: list
    manifests: dict  # name -> manifest, or the error message when unreadable
    last: object
    stale: bool
    status: dict
    fingerprint: str
    folder: str
    second_folder: str | None
    problems: list = field(default_factory=list)


def is_stale(now=None):
    """True when there is no backup, or the newest is older than two days."""
    last = last_backup()
    return last is None or (now or utcnow()) - last.created_at > STALE_AFTER


def overview(now=None):
    """The backups page: every backup with its manifest, the newest, the last failure."""
    found = list_backups()
    manifests = {}
    for backup in found:
        try:
            manifests[backup.name] = describe(backup.path)
        except BackupError as exc:
            manifests[backup.name] = exc.message
    try:
        fingerprint = key_fingerprint(backup_key())
    except BackupError as exc:
        fingerprint = str(exc.message)
    second = second_dir()
    return Overview(
        backups=found,
        manifests=manifests,
        last=found[0] if found else None,
        stale=not found or (now or utcnow()) - found[0].created_at > STALE_AFTER,
        status=read_status(),
        fingerprint=fingerprint,
        folder=str(backup_dir()),
        second_folder=str(second) if second else None,
    )
