"""Schedules: every N seconds, or daily at an hour in Riga, whatever the daylight-saving time."""

from datetime import UTC, datetime, timedelta

import pytest

from clubsite.jobs import DailyAt, Every
from clubsite.jobs.registry import summarise


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_every_counts_from_the_start_and_a_setting_overrides_the_default():
    start = utc(2027, 1, 10, 12, 0)
    assert Every(60).first_due(start, {}) == start
    assert Every(60).next_due(start, {}) == start + timedelta(seconds=60)
    assert Every(60, "X_SECONDS").next_due(start, {"X_SECONDS": 5}) == start + timedelta(seconds=5)
    assert Every(60, "X_SECONDS").describe({"X_SECONDS": 5}) == "every 5 s"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Winter (UTC+2): 03:00 in Riga is 01:00 UTC.
        (utc(2027, 1, 10, 0, 30), utc(2027, 1, 10, 1, 0)),
        (utc(2027, 1, 10, 1, 0), utc(2027, 1, 11, 1, 0)),  # just ran: tomorrow
        (utc(2027, 1, 10, 12, 0), utc(2027, 1, 11, 1, 0)),
        # Summer (UTC+3): 03:00 in Riga is 00:00 UTC.
        (utc(2027, 7, 1, 12, 0), utc(2027, 7, 2, 0, 0)),
        # The night the clocks go forward (28 March 2027, 03:00 -> 04:00): it still runs.
        (utc(2027, 3, 27, 12, 0), utc(2027, 3, 28, 1, 0)),
        (utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 0)),
        # The night the clocks go back (31 October 2027, 04:00 -> 03:00): once, not twice.
        (utc(2027, 10, 30, 12, 0), utc(2027, 10, 31, 0, 0)),
        (utc(2027, 10, 31, 0, 0), utc(2027, 11, 1, 1, 0)),
    ],
)
def test_daily_runs_at_the_hour_in_riga(after, expected):
    assert DailyAt(3).next_due(after, {}) == expected


def test_daily_hour_comes_from_its_setting_and_is_checked():
    after = utc(2027, 1, 10, 12, 0)
    assert DailyAt(3, "RETENTION_HOUR").next_due(after, {"RETENTION_HOUR": 22}) == utc(
        2027, 1, 10, 20, 0
    )
    assert DailyAt(3, "RETENTION_HOUR").describe({"RETENTION_HOUR": 4}) == "daily at 04:00"
    with pytest.raises(ValueError, match="RETENTION_HOUR"):
        DailyAt(3, "RETENTION_HOUR").next_due(after, {"RETENTION_HOUR": 24})


def test_a_new_daily_job_waits_for_its_hour():
    now = utc(2027, 1, 10, 12, 0)
    assert DailyAt(3).first_due(now, {}) == utc(2027, 1, 11, 1, 0)


@pytest.mark.parametrize(
    ("result", "kept"),
    [
        ({"sent": 3, "failed": 0}, "sent=3 failed=0"),
        (None, None),
        ("mail to anna@example.lv", None),
        ({"anna@example.lv": 1, "to": "anna@example.lv", "ok": True}, None),
        ({"seconds": 1.5}, "seconds=1.5"),
    ],
)
def test_only_counts_are_kept_of_a_result(result, kept):
    assert summarise(result) == kept
