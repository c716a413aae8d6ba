"""Automatic backups on a moved clock, and pruning to 7 daily and 4 weekly backups."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from clubsite.backup import schedule, service
from clubsite.backup.service import BackupFile
from clubsite.i18n import CLUB_TZ


def _at(day, hour=3):
    """03:00 club time on a day, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=CLUB_TZ).astimezone(UTC)


def _files(moments):
    return [BackupFile(f"b{i:03d}", Path(f"b{i:03d}"), at, 1) for i, at in enumerate(moments)]


def test_keeps_newest_of_last_seven_days_and_four_weeks():
    """60 daily backups, now Wednesday 2026-03-04: the last 7 days, plus the newest (Sunday) of
    each of the four most recent weeks, two of which the daily ones already cover."""
    start = date(2026, 1, 4)
    backups = _files(_at(start + timedelta(days=i)) for i in range(60))
    now = _at(start + timedelta(days=59), hour=12)
    kept = schedule.select_to_keep(backups, now)
    kept_days = sorted(b.created_at.astimezone(CLUB_TZ).date() for b in backups if b.name in kept)
    daily = [date(2026, 2, 26) + timedelta(days=i) for i in range(7)]  # Thu 26.02 .. Wed 04.03
    weekly = [date(2026, 2, 15), date(2026, 2, 22), date(2026, 3, 1), date(2026, 3, 4)]
    assert kept_days == sorted(set(daily) | set(weekly))


def test_several_backups_a_day_keep_only_the_newest_of_each_day():
    """A manual backup at 10:00 and the automatic one at 03:00: the later one stays."""
    day = date(2026, 5, 5)
    backups = _files([_at(day, 3), _at(day, 10), _at(day + timedelta(days=1), 3)])
    kept = schedule.select_to_keep(backups, _at(day + timedelta(days=1), 12))
    assert kept == {"b001", "b002"}


@pytest.mark.parametrize("gap_days", [40, 400])
def test_the_newest_backup_is_never_pruned(gap_days):
    """Even when every backup is older than the kept window, the newest one stays."""
    backups = _files([_at(date(2025, 1, 1)), _at(date(2025, 1, 2))])
    kept = schedule.select_to_keep(backups, _at(date(2025, 1, 2) + timedelta(days=gap_days)))
    assert kept == {"b001"}


def test_a_backup_from_the_future_is_kept():
    """A clock set back is no reason to delete a backup."""
    backups = _files([_at(date(2026, 1, 1)), _at(date(2026, 3, 1))])
    assert schedule.select_to_keep(backups, _at(date(2026, 2, 1))) == {"b000", "b001"}


def test_scheduled_backups_follow_the_interval_and_are_pruned(app, tmp_path):
    """Twelve days of hourly checks: one backup a day, pruned to the expected set on disk."""
    app.config["BACKUP_SECOND_DIR"] = str(tmp_path / "usb")
    app.config["BACKUP_KEEP_DAILY"] = 3
    app.config["BACKUP_KEEP_WEEKLY"] = 2
    start = _at(date(2026, 6, 1))  # a Monday
    made = []
    for hour in range(0, 12 * 24, 6):
        result = schedule.run_scheduled(now=start + timedelta(hours=hour))
        if result is not None:
            made.append(result.manifest["created_at"])
    assert len(made) == 12
    on_disk = {b.created_at.astimezone(CLUB_TZ).date() for b in service.list_backups()}
    # Friday 12.06 is "now": 10.06-12.06 daily, and 07.06, the newest of the previous week.
    assert on_disk == {date(2026, 6, 7), date(2026, 6, 10), date(2026, 6, 11), date(2026, 6, 12)}
    usb = service.list_backups(tmp_path / "usb")
    assert {b.name for b in usb} == {b.name for b in service.list_backups()}
    assert schedule.run_scheduled(now=start + timedelta(days=11, hours=20)) is None


def test_backup_auto_command_runs_only_when_due(app, runner):
    """`backup auto` (for a systemd timer or cron) makes a backup once, then says none is due."""
    first = runner.invoke(args=["backup", "auto"])
    again = runner.invoke(args=["backup", "auto"])
    assert first.exit_code == 0 and "made" in first.output
    assert again.exit_code == 0 and "No backup due" in again.output
    assert len(service.list_backups()) == 1


def test_a_second_process_holding_the_lock_makes_the_run_wait_its_turn(app):
    """While another process holds the folder lock, a scheduled run does nothing."""
    with schedule.folder_lock() as locked:
        assert locked
        import subprocess
        import sys

        # A separate process sees the lock as taken (flock is per open file, across processes).
        code = (
            "import fcntl,sys; f=open(sys.argv[1],'a+');\n"
            "try:\n fcntl.flock(f, fcntl.LOCK_EX|fcntl.LOCK_NB); print('free')\n"
            "except BlockingIOError: print('taken')"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(service.backup_dir() / ".lock")],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == "taken"
