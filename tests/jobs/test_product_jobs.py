"""The product's jobs: create_app registers them, and a real runner runs them untouched."""

import threading
from datetime import timedelta

from sqlalchemy import select, text, update

from clubsite.backup.service import list_backups
from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.jobs import DailyAt, Every, registered_jobs
from clubsite.jobs.models import JobRun
from clubsite.jobs.runner import run_due
from clubsite.privacy import audit
from clubsite.privacy.models import ErasureJournal, Member
from tests.jobs.processes import wait_until
from tests.privacy.factories import JANIS, enrol
from tests.privacy.test_retention import _end_membership
from tests.public.helpers import sign_up

PRODUCT_JOBS = [
    "retention",
    "fees_invoice_run",
    "fees_reminders",
    "backups",
    "db_statistics",
    "newsletter",
    "newsletter_schedule",
    "reverify",
    "outbox",
]


def _row(name):
    """The job's row as plain values (an ORM object would reload, and lock, when read)."""
    row = db.session.execute(select(*JobRun.__table__.c).where(JobRun.name == name)).first()
    db.session.commit()  # hold no transaction (on SQLite: the write lock) while the runner writes
    return row


def test_create_app_registers_every_product_job(app):
    """Retention daily at RETENTION_HOUR, the outbox and newsletter every few seconds, ..."""
    jobs = {job.name: job for job in registered_jobs(app)}
    assert list(jobs) == PRODUCT_JOBS  # the outbox last: `--once` sends what the others queued
    assert jobs["retention"].schedule == DailyAt(3, "RETENTION_HOUR")
    assert jobs["reverify"].schedule == DailyAt(10, "REVERIFY_HOUR")
    assert jobs["outbox"].schedule == Every(5, "OUTBOX_EVERY_SECONDS")
    assert all(job.title != job.name for job in jobs.values())  # each has a label for staff


def test_retention_runs_by_itself_in_the_job_runner(app, runner_processes):
    """A membership over 31 days ago: when 03:00 comes, the runner erases the member unasked."""
    member = enrol(JANIS, ["access", "fees"])
    public_id = member.public_id
    _end_membership(member, days_ago=31)
    process = runner_processes.start("--job", "retention")
    wait_until(lambda: _row("retention") is not None, processes=[process], what="the job row")
    due = as_utc(_row("retention").next_due)
    assert due.astimezone(CLUB_TZ).hour == 3 and utcnow() < due <= utcnow() + timedelta(days=1)
    assert db.session.get(Member, member.id) is not None  # not before its hour
    db.session.commit()
    # The clock moves on to 03:00 (as far as the job is concerned).
    db.session.execute(update(JobRun).where(JobRun.name == "retention").values(next_due=utcnow()))
    db.session.commit()
    wait_until(lambda: _row("retention").run_count == 1, processes=[process], what="the run")
    code, _out, err = runner_processes.stop(process)
    assert code == 0, err
    db.session.expire_all()
    assert db.session.scalar(select(Member).where(Member.public_id == public_id)) is None
    assert public_id in db.session.scalars(select(ErasureJournal.public_id)).all()
    db.session.commit()
    assert audit.verify_chain() is None  # the runner's audit events continue the keyed chain
    row = _row("retention")
    assert row.last_ok and row.last_result == "ended=2 erased=1"
    assert as_utc(row.next_due).astimezone(CLUB_TZ).hour == 3 and as_utc(row.next_due) > utcnow()


def test_the_reverify_job_queues_and_the_outbox_job_sends_in_one_pass(app, mailbox):
    """`jobs run --once` order: the re-verification mail is queued, then sent, in one run."""
    member = enrol(JANIS, ["access", "fees"])  # fees: the email address is kept
    member.last_verified_at = utcnow() - timedelta(days=400)
    db.session.commit()
    ten = utcnow().astimezone(CLUB_TZ).replace(hour=10, minute=0) + timedelta(days=1)
    run_due(names=["reverify", "outbox"])  # the rows: reverify waits for 10:00
    outcomes = run_due(ten + timedelta(minutes=1), names=["reverify", "outbox"])
    assert [(o.name, o.result) for o in outcomes] == [
        ("reverify", "queued=1"),
        ("outbox", "sent=1 retry=0 failed=0"),
    ]
    assert [m["to"] for m in mailbox.messages] == [[JANIS["email"]]]


def test_web_requests_start_no_threads(app, client, client_for, mailbox):
    """Sign-up, "My data", the admin pages: nothing a request does leaves a thread behind."""
    before = set(threading.enumerate())
    sign_up(client, ["newsletter"], {"email": "thread@example.lv"})
    admin = client_for("admin")
    for page in ("/office/", "/office/backups", "/office/newsletter/"):
        assert admin.get(page).status_code == 200
    assert set(threading.enumerate()) - before == set()
    mailbox.wait_for(1)  # the confirmation was waiting in the outbox all along


def test_the_backups_job_makes_one_backup_per_interval(app):
    """Every ten minutes it looks; a backup only when the newest is older than the interval."""
    now = utcnow()
    [first] = run_due(now, names=["backups"])
    assert first.ok and first.result == "made=1" and len(list_backups()) == 1
    [later] = run_due(now + timedelta(minutes=11), names=["backups"])
    assert later.ok and later.result == "made=0" and len(list_backups()) == 1
    app.config["BACKUP_INTERVAL_HOURS"] = 0  # backups by the server's timer instead
    [off] = run_due(now + timedelta(days=2), names=["backups"])
    assert off.result == "made=0" and len(list_backups()) == 1


def _analysed(table):
    """Whether the database holds planner statistics of the table."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        if not db.session.scalar(text(query)):
            return False
        query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"
    else:
        query = (
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname = :t "
            "AND last_analyze IS NOT NULL"
        )
    found = db.session.scalar(text(query), {"t": table})
    db.session.commit()
    return bool(found)


def test_the_statistics_job_analyses_the_tables_at_its_hour(app):
    """At 04:00 Riga time the planner's statistics are gathered (SQLite keeps none before)."""
    enrol(JANIS, ["access", "fees"])
    assert run_due(names=["db_statistics"]) == []  # the row: the job waits for its hour
    if db.engine.dialect.name == "sqlite":
        assert not _analysed("member_purpose")
    four = utcnow().astimezone(CLUB_TZ).replace(hour=4, minute=0) + timedelta(days=1)
    [done] = run_due(four + timedelta(minutes=1), names=["db_statistics"])
    assert done.ok and done.result.startswith("ms=")
    assert _analysed("member_purpose") and _analysed("member")
