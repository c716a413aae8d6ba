"""run_due: each job under a lease on its row, once per schedule, whoever else is running."""

import logging
import threading
from datetime import timedelta

from sqlalchemy import select, update

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.jobs.lease import LeaseKeeper, Leases
from clubsite.jobs.models import JobRun
from clubsite.jobs.runner import run_due
from clubsite.jobs.status import job_statuses, last_success

T = JobRun.__table__
ADDRESS = "janis.berzins@example.lv"


def _row(name):
    db.session.expire_all()
    return db.session.scalar(select(JobRun).where(JobRun.name == name))


def test_a_due_job_runs_once_and_is_due_again_after_its_interval(app, add_job, job_calls):
    """Run, result and next run are recorded; a second look before the interval runs nothing."""
    name = add_job("count")
    now = utcnow()
    [outcome] = run_due(now, names=[name])
    assert outcome.ok and outcome.result == "calls=1"
    assert run_due(now + timedelta(seconds=10), names=[name]) == []
    row = _row(name)
    assert row.run_count == 1 and row.last_ok and row.last_result == "calls=1"
    assert row.lease_owner is None and row.lease_until is None
    assert as_utc(row.next_due) == now + timedelta(hours=1)
    assert as_utc(row.last_success) >= now
    [again] = run_due(now + timedelta(hours=1), names=[name])
    assert again.ok and len(job_calls) == 2


def test_a_job_someone_holds_is_left_alone_until_the_lease_runs_out(app, add_job, job_calls):
    """A runner that died mid-job keeps the job only until its lease ends; then it is resumed."""
    app.config["JOBS_LEASE_SECONDS"] = 60
    name = add_job("held")
    now = utcnow()
    run_due(now, names=[name])  # creates the row, runs once
    db.session.execute(update(JobRun).where(JobRun.name == name).values(next_due=now))
    db.session.commit()
    dead = Leases(T, "dead-runner", 60, key="name")
    assert dead.claim(T.c.name == name, now)  # ...and then the process was killed
    assert run_due(now + timedelta(seconds=30), names=[name]) == []
    [outcome] = run_due(now + timedelta(seconds=61), names=[name])
    assert outcome.ok and len(job_calls) == 2
    assert _row(name).lease_owner is None


def test_a_failed_job_is_tried_again_soon_and_says_only_what_failed(
    app, add_job, jobs_runner, caplog
):
    """The status holds the error's class, never its text (which may hold personal data)."""
    name = add_job("broken", error=ValueError(f"cannot mail {ADDRESS}"))
    leaky = add_job("leaky", result={"to": ADDRESS, ADDRESS: 1})
    now = utcnow()
    with caplog.at_level(logging.INFO):
        outcomes = {o.name: o for o in run_due(now, names=[name, leaky])}
    assert not outcomes[name].ok and outcomes[name].error == "ValueError"
    assert outcomes[leaky].ok and outcomes[leaky].result is None
    row = _row(name)
    assert row.last_ok is False and row.last_error == "ValueError" and row.last_success is None
    assert as_utc(row.next_due) <= now + timedelta(seconds=301)  # not an hour later
    stored = " ".join(str(v) for r in db.session.scalars(select(JobRun)) for v in vars(r).values())
    status = jobs_runner.invoke(args=["jobs", "status"]).output
    assert "ValueError" in status
    for text in (stored, status, caplog.text):
        assert ADDRESS not in text and "janis" not in text


def test_two_runners_at_once_run_each_job_once(app, add_job, job_calls):
    """Two `jobs run --once` at the same moment, each in its own app context: each job once."""
    names = [add_job("first", pause=0.3), add_job("second", pause=0.3), add_job("third")]
    db.session.commit()
    start = threading.Barrier(2)
    outcomes = []

    def runner(number):
        with app.app_context():
            start.wait()
            outcomes.extend(run_due(names=names, owner=f"runner-{number}"))
            db.session.remove()

    threads = [threading.Thread(target=runner, args=(n,), name=f"r{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(name for name, _thread in job_calls) == sorted(names)
    assert sorted(o.name for o in outcomes) == sorted(names) and all(o.ok for o in outcomes)
    assert {_row(name).run_count for name in names} == {1}


def test_the_lease_is_renewed_while_a_long_job_runs(app):
    """The keeper extends the lease; the work stays with its holder past the first lease."""
    app.config["JOBS_LEASE_SECONDS"] = 0.6
    db.session.add(JobRun(name="long", next_due=utcnow()))
    db.session.commit()
    mine = Leases(T, "me", 0.6, key="name")
    other = Leases(T, "other", 0.6, key="name")
    assert mine.claim(T.c.name == "long", utcnow())
    with LeaseKeeper(mine, ["long"], utcnow) as keeper:
        threading.Event().wait(1.5)
        assert not other.claim(T.c.name == "long", utcnow())
    assert not keeper.lost
    threading.Event().wait(0.7)
    assert other.claim(T.c.name == "long", utcnow())  # no keeper: the lease ran out


def test_status_shows_each_job_last_run_result_and_next_run(app, add_job, jobs_runner):
    """`jobs status` and job_statuses(): never run, ok with counts, running."""
    ran, waiting = add_job("ran", result={"sent": 2}), add_job("waiting")
    now = utcnow()
    run_due(now, names=[ran])
    by_name = {s.name: s for s in job_statuses()}
    assert by_name[ran].ok and by_name[ran].result == "sent=2" and not by_name[ran].running
    assert by_name[waiting].last_started is None and by_name[waiting].ok is None
    assert last_success(ran) is not None and last_success(waiting) is None
    output = jobs_runner.invoke(args=["jobs", "status"]).output
    line = next(line for line in output.splitlines() if line.startswith(ran))
    assert "ok sent=2" in line and "every 3600 s" in line
    assert next(line for line in output.splitlines() if line.startswith(waiting)).count("never")


def test_run_once_from_the_command_line(app, add_job, jobs_runner):
    """`jobs run --once --job NAME` runs what is due, prints it and exits 0 (1 if one failed)."""
    good, bad = add_job("good"), add_job("bad", error=RuntimeError("x"))
    result = jobs_runner.invoke(args=["jobs", "run", "--once", "--job", good])
    assert result.exit_code == 0 and "good: ok calls=1" in result.output
    result = jobs_runner.invoke(args=["jobs", "run", "--once", "--job", good])
    assert result.exit_code == 0 and "nothing was due" in result.output
    result = jobs_runner.invoke(args=["jobs", "run", "--once", "--job", bad])
    assert result.exit_code == 1 and "bad: failed (RuntimeError)" in result.output
    result = jobs_runner.invoke(args=["jobs", "run", "--once", "--job", "nonesuch"])
    assert result.exit_code == 2 and "no such job" in result.output
