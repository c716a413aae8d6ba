"""The job runner: background work outside the web workers, each job under a database lease.

Areas mark their jobs with `@job(name, schedule, label)` and register them from their init_app
(`register_jobs(app, module)`); `flask --app wsgi jobs run` runs them (any number of runners side
by side: each job runs once per schedule), `jobs status` shows their last run, result and next
run. The lease logic
(`clubsite.jobs.lease`) is shared with the outbox, which leases its messages the same way.
"""

from clubsite.jobs.registry import (
    DailyAt,
    Every,
    Job,
    job,
    register_job,
    register_jobs,
    registered_jobs,
)

__all__ = ["DailyAt", "Every", "Job", "job", "register_job", "register_jobs", "registered_jobs"]
