"""`flask jobs run`: one thread per job, each running its job whenever it is due, until stopped.

A thread per job, so a long newsletter campaign does not hold up a sign-up confirmation in the
outbox. The threads sleep until their job is due (or its holder's lease may have run out), and
look again at least every JOBS_POLL_SECONDS, because another runner may have run it meanwhile.
This process is the job runner, not a web worker: web workers run no background threads.
"""

import logging
import threading

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.jobs.lease import owner_id
from clubsite.jobs.registry import registered_jobs
from clubsite.jobs.runner import ensure_rows, next_wake, run_job

log = logging.getLogger("clubsite.jobs")
DEFAULT_POLL_SECONDS = 30.0
SHORTEST_PAUSE = 0.05


class Runner:
    """Runs an app's jobs in threads of their own until `stop` is set."""

    def __init__(self, app, *, names=None, owner=None):
        self.app = app
        self.jobs = registered_jobs(app, names)
        self.owner = owner or owner_id()
        self.poll = float(app.config.get("JOBS_POLL_SECONDS", DEFAULT_POLL_SECONDS))
        self.stop = threading.Event()

    def run(self):
        """Start a thread per job and wait for them (they end soon after `stop` is set)."""
        with self.app.app_context():
            ensure_rows(self.jobs, utcnow(), self.app.config)
            db.session.remove()
        threads = [
            threading.Thread(target=self._loop, args=(job,), name=f"job-{job.name}")
            for job in self.jobs
        ]
        for thread in threads:
            thread.start()
        log.info("job runner %s: %d jobs", self.owner, len(threads))
        for thread in threads:
            thread.join()

    def _loop(self, job):
        while not self.stop.is_set():
            pause = self.poll
            with self.app.app_context():
                try:
                    outcome = run_job(job, utcnow(), self.owner, self.app.config)
                    if outcome is not None and not outcome.idle:
                        log.info("job %s", outcome.line())
                    wake = next_wake(job, utcnow())
                    if wake is not None:
                        pause = min(max(wake, SHORTEST_PAUSE), self.poll)
                except Exception as exc:  # noqa: BLE001  (the database is away: try again)
                    log.warning("job %s not checked: %s", job.name, type(exc).__name__)
                finally:
                    db.session.remove()
            self.stop.wait(pause)
