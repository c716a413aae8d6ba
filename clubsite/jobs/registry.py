"""The jobs an app runs, and when: every N seconds, or daily at an hour in the club's time zone.

A job is a function (now) -> counts: a mapping of short names to numbers ({"sent": 3}) or None.
Only those counts are kept and shown, so nothing a job returns or raises can put personal data
into the job status. `@job(name, schedule, label)` only marks a function; the area's init_app
registers the marked functions of its modules with `register_jobs(app, module)` (or one with
`register_job`), so the runner runs exactly the jobs of the app it was given.
"""

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app

from clubsite.i18n import CLUB_TZ

_EXTENSION = "clubsite.jobs"
_MARK = "__clubsite_job__"
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
COUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")


@dataclass(frozen=True)
class Every:
    """Every N seconds (N from the setting, if the app config has it), counted from each start."""

    seconds: float
    setting: str | None = None

    def interval(self, config):
        """The interval in force."""
        value = config.get(self.setting) if self.setting else None
        return timedelta(seconds=float(value if value is not None else self.seconds))

    def first_due(self, now, config):
        """A new job runs at once."""
        return now

    def next_due(self, started, config):
        """The next run after one that started at `started`."""
        return started + self.interval(config)

    def describe(self, config):
        """For `jobs status` and the admin home: "every 5 s"."""
        return f"every {self.interval(config).total_seconds():g} s"


@dataclass(frozen=True)
class DailyAt:
    """Once a day at a whole hour, Europe/Riga (hour from the setting, if the config has it)."""

    hour: int
    setting: str | None = None

    def at(self, config):
        """The hour in force (0-23)."""
        value = config.get(self.setting) if self.setting else None
        hour = int(value if value is not None else self.hour)
        if not 0 <= hour <= 23:
            raise ValueError(f"{self.setting or 'hour'} must be 0-23, not {hour}")
        return hour

    def first_due(self, now, config):
        """A new daily job waits for its hour."""
        return self.next_due(now, config)

    def next_due(self, started, config):
        """The first time the hour strikes in Riga after `started` (DST-aware)."""
        hour = self.at(config)
        local = started.astimezone(CLUB_TZ)
        day = local.date()
        candidate = datetime.combine(day, time(hour), tzinfo=CLUB_TZ)
        if candidate <= local:
            candidate = datetime.combine(day + timedelta(days=1), time(hour), tzinfo=CLUB_TZ)
        return candidate.astimezone(UTC)

    def describe(self, config):
        """For `jobs status` and the admin home: "daily at 03:00"."""
        return f"daily at {self.at(config):02d}:00"


@dataclass(frozen=True)
class Job:
    """A named job: its schedule, its function (now) -> counts or None, and a label for staff."""

    name: str
    schedule: Every | DailyAt
    func: Callable
    label: object = None  # a lazy gettext string; the name when there is none

    @property
    def title(self):
        """What the admin home calls the job."""
        return str(self.label) if self.label else self.name


def job(name, schedule, label=None):
    """Mark a function as a job (registered by its area's init_app through register_jobs)."""

    def mark(func):
        setattr(func, _MARK, (name, schedule, label))
        return func

    return mark


def register_jobs(app, module):
    """Register every job marked in a module (not those it imports from elsewhere)."""
    for value in vars(module).values():
        if not inspect.isfunction(value) or value.__module__ != module.__name__:
            continue  # imported from elsewhere: its own module registers it
        marked = getattr(value, _MARK, None)
        if marked is not None:
            name, schedule, label = marked
            register_job(app, name, schedule, value, label=label)


def register_job(app, name, schedule, func, *, label=None):
    """Add (or replace) a job of this app."""
    if not NAME.fullmatch(name):
        raise ValueError(f"job name {name!r}: lower-case letters, digits and _ only")
    app.extensions.setdefault(_EXTENSION, {})[name] = Job(name, schedule, func, label)


def registered_jobs(app=None, names=None):
    """The app's jobs in registration order (only those named, if names are given)."""
    jobs = list((app or current_app).extensions.get(_EXTENSION, {}).values())
    if names:
        unknown = set(names) - {job.name for job in jobs}
        if unknown:
            raise KeyError(f"no such job: {', '.join(sorted(unknown))}")
        jobs = [job for job in jobs if job.name in names]
    return jobs


def summarise(result):
    """What is kept of a job's result: "sent=3 failed=0" from a mapping of counts, else None."""
    if not isinstance(result, Mapping):
        return None
    parts = [
        f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in result.items()
        if isinstance(key, str)
        and COUNT_NAME.fullmatch(key)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ]
    return " ".join(parts)[:200] or None
