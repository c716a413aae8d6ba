"""Real `flask jobs run` processes: two started together, one killed with SIGKILL mid-job."""

import os
import signal
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.jobs.models import JobRun
from clubsite.jobs.registry import registered_jobs
from clubsite.jobs.runner import ensure_rows
from tests.jobs import sample_jobs
from tests.jobs.processes import wait_until

ONLY_TEST_JOBS = [arg for name in sample_jobs.NAMES for arg in ("--job", name)]


def _prepare(app, due):
    """The test jobs' rows, all due at `due`."""
    sample_jobs.register(app)
    ensure_rows(registered_jobs(app, sample_jobs.NAMES), utcnow())
    db.session.execute(
        update(JobRun).where(JobRun.name.in_(sample_jobs.NAMES)).values(next_due=due)
    )
    db.session.commit()


def test_two_runners_started_together_run_each_job_once(app, runner_processes, tmp_path):
    """Both wait for the same moment; every job runs exactly once, and both stop on SIGTERM."""
    log = str(tmp_path / "jobs.log")
    _prepare(app, utcnow() + timedelta(seconds=4))  # both processes are up and waiting by then
    settings = {"TEST_JOB_LOG": log, "SLOW_JOB_SECONDS": 2.5}  # longer than the 1 s lease
    runners = [runner_processes.start(*ONLY_TEST_JOBS, **settings) for _ in range(2)]
    done = {"tick", "tock", "slow-end"}
    wait_until(
        lambda: done <= {event for event, _pid in sample_jobs.read_log(log)},
        processes=runners, timeout=30, what="all three jobs",
    )  # fmt: skip
    time.sleep(1.5)  # time for a second run, if the leases let one happen
    results = [runner_processes.stop(process) for process in runners]
    assert [code for code, _out, _err in results] == [0, 0], results
    events = Counter(event for event, _pid in sample_jobs.read_log(log))
    assert events == {"tick": 1, "tock": 1, "slow-start": 1, "slow-end": 1}
    db.session.expire_all()
    runs = db.session.execute(select(JobRun.name, JobRun.run_count, JobRun.lease_owner)).all()
    assert {(name, count, owner) for name, count, owner in runs} == {
        (name, 1, None) for name in sample_jobs.NAMES
    }


def test_a_runner_killed_mid_job_is_taken_over_when_its_lease_expires(
    app, runner_processes, tmp_path
):
    """SIGKILL while the slow job runs: the other runner waits out the lease and runs it."""
    log = str(tmp_path / "jobs.log")
    _prepare(app, utcnow())
    first = runner_processes.start("--job", "test_slow", TEST_JOB_LOG=log, SLOW_JOB_SECONDS=60)
    wait_until(lambda: sample_jobs.read_log(log), processes=[first], what="the slow job")
    second = runner_processes.start("--job", "test_slow", TEST_JOB_LOG=log, SLOW_JOB_SECONDS=0.5)
    time.sleep(4)  # four lease lengths: the first runner keeps renewing, the second keeps off
    assert sample_jobs.read_log(log) == [("slow-start", str(first.pid))]
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    wait_until(
        lambda: ("slow-end", str(second.pid)) in sample_jobs.read_log(log),
        processes=[second], timeout=15, what="the takeover",
    )  # fmt: skip
    code, _out, err = runner_processes.stop(second)
    assert code == 0, err
    assert sample_jobs.read_log(log) == [
        ("slow-start", str(first.pid)),
        ("slow-start", str(second.pid)),
        ("slow-end", str(second.pid)),
    ]
    db.session.expire_all()
    row = db.session.scalar(select(JobRun).where(JobRun.name == "test_slow"))
    assert row.run_count == 2 and row.last_ok and row.lease_owner is None
