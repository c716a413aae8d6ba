"""Run the jobs that are due, each under a lease on its job_run row.

A job runs only in the process that claimed its row (one short atomic UPDATE: due, and no
lease or a lease run out). While it runs, a keeper thread renews the lease; when it ends, the
result and the next due time are written and the lease given up in one UPDATE. If the process
dies mid-job, the lease runs out and the next runner to look takes the job over. So any number
of runners may run side by side, and each job runs once per schedule.
"""

import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.jobs.lease import (
    LeaseKeeper,
    Leases,
    moving_clock,
    owner_id,
    short_read,
    short_write,
)
from clubsite.jobs.models import JobRun
from clubsite.jobs.registry import registered_jobs, summarise

log = logging.getLogger("clubsite.jobs")
T = JobRun.__table__
DEFAULT_LEASE_SECONDS = 120
DEFAULT_RETRY_SECONDS = 300  # a failed job is tried again this soon (or at its next run)


@dataclass(frozen=True)
class Outcome:
    """How one run of a job ended (what the status row records)."""

    name: str
    ok: bool
    result: str | None
    error: str | None
    seconds: float

    @property
    def idle(self):
        """It went well and had nothing to do (every count 0): not worth a log line."""
        counts = (self.result or "").split()
        return self.ok and all(part.endswith("=0") for part in counts)

    def line(self):
        """One line for the command line: "outbox: ok sent=3 (0.2 s)"."""
        what = ("ok " + (self.result or "")).strip() if self.ok else f"failed ({self.error})"
        return f"{self.name}: {what} ({self.seconds:.1f} s)"


def job_leases(owner, config=None):
    """Leases on job_run rows, keyed by job name."""
    config = config or current_app.config
    seconds = config.get("JOBS_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    return Leases(T, owner, seconds, key="name")


def ensure_rows(jobs, now, config=None):
    """Give every job its job_run row (a new one is due as its schedule says)."""
    config = config or current_app.config
    existing = {name for (name,) in short_read(select(T.c.name))}
    rows = [
        {"name": job.name, "next_due": job.schedule.first_due(now, config), "run_count": 0}
        for job in jobs
        if job.name not in existing
    ]
    if rows:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        # Two runners starting together may both insert: the second one's rows are skipped.
        short_write(dialect.insert(T).values(rows).on_conflict_do_nothing(index_elements=["name"]))


def run_job(job, now, owner, config=None):
    """Run the job if it is due and nobody holds it; returns its Outcome, or None if not run."""
    config = config or current_app.config
    leases = job_leases(owner, config)
    ready = (T.c.name == job.name) & (T.c.next_due <= now)
    claimed = leases.claim(ready, now, values={"last_started": now, "run_count": T.c.run_count + 1})
    if not claimed:
        return None
    clock = moving_clock(now)
    with LeaseKeeper(leases, [job.name], clock) as keeper:
        ok, result, error = _call(job, now)
    finished = clock()
    next_due = job.schedule.next_due(now, config)
    if not ok:
        retry = config.get("JOBS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        next_due = min(next_due, finished + timedelta(seconds=retry))
    values = {
        "last_finished": finished,
        "last_ok": ok,
        "last_result": result,
        "last_error": error,
        "next_due": next_due,
    }
    if ok:
        values["last_success"] = finished
    if keeper.lost or not leases.finish(job.name, values):
        log.warning("job %s ran past its lease; another runner may have run it as well", job.name)
    return Outcome(job.name, ok, result, error, (finished - now).total_seconds())


def _call(job, now):
    """Call the job function; (ok, counts, error class name). Its session work is committed."""
    try:
        result = job.func(now)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001  (recorded; the runner goes on with the next job)
        db.session.rollback()
        log.error("job %s failed: %s at %s", job.name, type(exc).__name__, _where(exc))
        return False, None, type(exc).__name__[:80]
    return True, summarise(result), None


def _where(exc):
    """Where an exception was raised (file and line), without its message (personal data)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def run_due(now=None, *, names=None, owner=None, app=None):
    """Run every due job (or the named ones) once, one after another; returns their Outcomes.

    The caller's session is committed first: on SQLite an open transaction would hold the
    write lock the leases need.
    """
    app = app or current_app._get_current_object()
    now = now or utcnow()
    owner = owner or owner_id()
    jobs = registered_jobs(app, names)
    db.session.commit()
    ensure_rows(jobs, now, app.config)
    outcomes = []
    for job in jobs:
        outcome = run_job(job, now, owner, app.config)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def next_wake(job, now):
    """Seconds until this job may be due or its lease free again (None: no row yet)."""
    query = select(T.c.next_due, T.c.lease_owner, T.c.lease_until).where(T.c.name == job.name)
    rows = short_read(query)
    if not rows:
        return None
    next_due, lease_owner, lease_until = rows[0]
    when = as_utc(next_due)
    if lease_owner is not None and lease_until is not None and as_utc(lease_until) > now:
        when = max(when, as_utc(lease_until))
    return (when - now).total_seconds()
