"""flask --app wsgi jobs run [--once] [--job NAME]...  and  jobs status"""

import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from clubsite.i18n import CLUB_TZ
from clubsite.jobs.loop import Runner
from clubsite.jobs.registry import registered_jobs
from clubsite.jobs.runner import run_due
from clubsite.jobs.status import job_statuses


@click.group("jobs")
def cli():
    """The job runner: outbox, newsletter, retention, re-verification, backups."""


def _names(job_names):
    """The --job names, checked against the registered jobs."""
    try:
        registered_jobs(current_app, job_names)
    except KeyError as exc:
        known = ", ".join(job.name for job in registered_jobs(current_app))
        raise click.BadParameter(
            f"{exc.args[0]}; the jobs are: {known}", param_hint="--job"
        ) from None
    return list(job_names) or None


@cli.command("run")
@click.option("--once", is_flag=True, help="Run what is due now, then exit (for cron and tests).")
@click.option("--job", "job_names", multiple=True, help="Only this job (may be repeated).")
@with_appcontext
def run(once, job_names):
    """Run the jobs as they fall due, until SIGTERM or Ctrl-C (safe in several processes)."""
    names = _names(job_names)
    if once:
        outcomes = run_due(names=names)
        for outcome in outcomes:
            click.echo(outcome.line())
        if not outcomes:
            click.echo("nothing was due")
        sys.exit(0 if all(outcome.ok for outcome in outcomes) else 1)
    runner = Runner(current_app._get_current_object(), names=names)

    def _stop(signum, _frame):
        # The running jobs end their current piece of work; no new one starts. A second
        # signal stops at once: the leases run out and another runner resumes the work.
        click.echo(f"jobs: stopping ({signal.Signals(signum).name})", err=True)
        runner.stop.set()
        signal.signal(signum, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"jobs: running {', '.join(job.name for job in runner.jobs)}", err=True)
    runner.run()


def _when(value):
    return value.astimezone(CLUB_TZ).strftime("%Y-%m-%d %H:%M") if value else "never"


@cli.command("status")
@with_appcontext
def status():
    """Each job's last run, its result and its next run (times in Europe/Riga)."""
    rows = [("job", "schedule", "last run", "result", "next run")]
    for job in job_statuses():
        if job.running:
            result = "running"
        elif job.interrupted:
            result = "interrupted (taken over when its lease runs out)"
        elif job.ok is None:
            result = "-"
        elif job.ok:
            result = ("ok " + (job.result or "")).strip()
        else:
            result = f"failed ({job.error})"
        rows.append((job.name, job.schedule, _when(job.last_started), result, _when(job.next_due)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
