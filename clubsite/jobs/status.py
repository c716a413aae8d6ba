"""What `flask jobs status` and the admin home show: each job's last run, result and next run."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.jobs.models import JobRun
from clubsite.jobs.registry import registered_jobs


@dataclass(frozen=True)
class JobStatus:
    """One job as shown to staff: no personal data, only times, counts and an error class."""

    name: str
    title: str
    schedule: str
    last_started: datetime | None
    last_finished: datetime | None
    ok: bool | None  # None: has not finished a run yet
    last_success: datetime | None
    result: str | None
    error: str | None
    next_due: datetime | None
    running: bool

    @property
    def interrupted(self):
        """Its last run started and never finished (the runner died; it is taken over)."""
        started, finished = self.last_started, self.last_finished
        return not self.running and started is not None and (finished is None or finished < started)


def job_statuses(now=None, app=None):
    """The status of each registered job, in registration order."""
    app = app or current_app
    now = now or utcnow()
    rows = {row.name: row for row in db.session.scalars(select(JobRun))}
    statuses = []
    for job in registered_jobs(app):
        row = rows.get(job.name)
        lease_until = as_utc(row.lease_until) if row is not None else None
        statuses.append(
            JobStatus(
                name=job.name,
                title=job.title,
                schedule=job.schedule.describe(app.config),
                last_started=as_utc(row.last_started) if row else None,
                last_finished=as_utc(row.last_finished) if row else None,
                ok=row.last_ok if row else None,
                last_success=as_utc(row.last_success) if row else None,
                result=row.last_result if row else None,
                error=row.last_error if row else None,
                next_due=as_utc(row.next_due) if row else None,
                running=bool(row and row.lease_owner and lease_until and lease_until > now),
            )
        )
    return statuses


def last_success(name):
    """When the named job last ended a run that went well (None: never)."""
    return as_utc(db.session.scalar(select(JobRun.last_success).where(JobRun.name == name)))
