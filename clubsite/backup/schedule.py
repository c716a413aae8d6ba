"""Automatic backups: make one when the last is older than the interval, then prune.

The job runner's `backups` job looks every ten minutes (docs/deploy.md); `flask --app wsgi
backup auto` does the same from a timer or cron where BACKUP_INTERVAL_HOURS is 0. Both take a
file lock in the backup folder and check again under it, so they never make duplicate backups.
"""

import contextlib
import fcntl
import logging
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from clubsite.backup.container import BackupError
from clubsite.backup.service import (
    backup_dir,
    create_backup,
    list_backups,
    second_dir,
    write_status,
)
from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.jobs import Every, job

log = logging.getLogger("clubsite.backup")
CHECK_EVERY_SECONDS = 600
# A daily timer firing at 03:00 must not skip a day because yesterday's run ended at 03:00:40.
SLACK = timedelta(minutes=15)
DEFAULT_INTERVAL_HOURS = 24


def select_to_keep(backups, now, *, keep_daily=7, keep_weekly=4):
    """The backups to keep: the newest of each of the last keep_daily days, the newest of each
    of the last keep_weekly weeks (Monday to Sunday, club time), the newest of all and the newest
    up to now, and any from the future (a clock set wrong is no reason to delete)."""
    if not backups:
        return set()
    local_now = now.astimezone(CLUB_TZ)
    today = local_now.date()
    this_monday = today - timedelta(days=today.weekday())
    newest_per_day, newest_per_week = {}, {}
    keep = {b.name for b in backups if b.created_at > now}
    past = [b for b in backups if b.created_at <= now]
    for backup in past:
        day = backup.created_at.astimezone(CLUB_TZ).date()
        monday = day - timedelta(days=day.weekday())
        if (today - day).days < keep_daily and _newer(backup, newest_per_day.get(day)):
            newest_per_day[day] = backup
        if (this_monday - monday).days // 7 < keep_weekly and _newer(
            backup, newest_per_week.get(monday)
        ):
            newest_per_week[monday] = backup
    keep.update(b.name for b in newest_per_day.values())
    keep.update(b.name for b in newest_per_week.values())
    newest = [
        max(group, key=lambda b: (b.created_at, b.name)) for group in (backups, past) if group
    ]
    keep.update(b.name for b in newest)
    return keep


def _newer(backup, other):
    return other is None or (backup.created_at, backup.name) > (other.created_at, other.name)


def prune(now=None):
    """Delete the backups select_to_keep does not keep, in both folders; return their names."""
    now = now or utcnow()
    daily = current_app.config["BACKUP_KEEP_DAILY"]
    weekly = current_app.config["BACKUP_KEEP_WEEKLY"]
    removed = []
    for directory in (backup_dir(), second_dir()):
        if directory is None or not directory.is_dir():
            continue
        found = list_backups(directory)
        keep = select_to_keep(found, now, keep_daily=daily, keep_weekly=weekly)
        for backup in found:
            if backup.name not in keep:
                with contextlib.suppress(OSError):
                    backup.path.unlink()
                    removed.append(backup.name)
    return removed


@contextlib.contextmanager
def folder_lock():
    """An exclusive lock on the backup folder across processes; yields False if it is taken."""
    handle = open(backup_dir() / ".lock", "a+")  # noqa: SIM115  (held for the whole block)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        handle.close()


def interval():
    """The configured interval between automatic backups."""
    hours = current_app.config["BACKUP_INTERVAL_HOURS"] or DEFAULT_INTERVAL_HOURS
    return timedelta(hours=hours)


def is_due(now=None):
    """True when there is no backup, or the newest is older than the interval."""
    now = now or utcnow()
    found = list_backups()
    return not found or now - found[0].created_at >= interval() - SLACK


def run_scheduled(now=None):
    """Make a backup if one is due, then prune; return the BackupResult or None."""
    now = now or utcnow()
    with folder_lock() as locked:
        if not locked or not is_due(now):
            return None
        try:
            result = create_backup(now=now)
            db.session.commit()
        except BackupError as exc:
            db.session.rollback()
            write_status(error=str(exc.message), now=now)
            raise
        except Exception as exc:  # noqa: BLE001  (recorded for the admin page, then re-raised)
            db.session.rollback()
            write_status(error=f"{type(exc).__name__}", now=now)
            raise BackupError(_l("The automatic backup failed; see the server log.")) from exc
        prune(now)
        return result


@job("backups", Every(CHECK_EVERY_SECONDS), _l("Backups"))
def backup_job(now):
    """The job runner's backups: one when due, unless BACKUP_INTERVAL_HOURS is 0 (a timer's)."""
    if not current_app.config.get("BACKUP_INTERVAL_HOURS"):
        return {"made": 0}
    result = run_scheduled(now)
    if result is not None:
        log.info("automatic backup %s made", result.path.name)
    return {"made": int(result is not None)}
