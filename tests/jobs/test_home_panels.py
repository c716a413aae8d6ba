"""The admin home: mail waiting and failed, each job's last run, and when retention last ran."""

from sqlalchemy import update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.jobs.models import JobRun
from clubsite.jobs.runner import run_due
from tests.conftest import csrf_token
from tests.public.helpers import sign_up

REFUSED = "nobody.here@example.lv"
WAITING = "later@example.lv"


def _english_home(admin):
    admin.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(admin, "/")})
    return admin.get("/office/").get_data(as_text=True)


def test_a_refused_mail_shows_on_the_admin_home_without_its_address(
    app, client, client_for, mailbox
):
    """5xx: failed, not retried, shown by kind and code; the waiting one is counted."""
    mailbox.replies[REFUSED] = ["550 5.1.1 No such user here"]
    sign_up(client, ["newsletter"], {"email": REFUSED})
    mailbox.flush()
    sign_up(client, ["newsletter"], {"email": WAITING})  # not sent yet: waiting
    page = _english_home(client_for("admin"))
    assert "Could not be delivered" in page and "Sign-up confirmation" in page
    assert "smtp_550" in page
    assert REFUSED not in page and WAITING not in page and "No such user" not in page
    assert "Waiting to be sent</dt><dd>1</dd>" in page


def test_the_admin_home_shows_each_job_and_when_retention_last_ran(app, client_for):
    """Before any run: a warning that no runner runs; after: last run, result, next run."""
    admin = client_for("admin")
    page = _english_home(admin)
    assert "The job runner does not seem to be running" in page
    assert "It has not run yet" in page
    run_due()  # every job gets its row; those due now run (retention waits for 03:00)
    db.session.execute(update(JobRun).where(JobRun.name == "retention").values(next_due=utcnow()))
    db.session.commit()
    run_due(names=["retention"])
    page = _english_home(admin)
    assert "The job runner does not seem to be running" not in page
    assert "Retention: erasing what is no longer needed" in page and "Sending mail" in page
    assert "ended=0 erased=0" in page and "sent=0 retry=0 failed=0" in page
    assert "It last ran on" in page


def test_only_the_admin_sees_the_mail_and_job_panels(client_for):
    """Staff without the settings permission get neither panel."""
    for role in ("reception", "accountant", "marketing", "staff"):
        page = _english_home(client_for(role))
        assert "Background jobs" not in page and "Waiting to be sent" not in page


def test_every_kind_of_mail_the_product_queues_has_a_label():
    """The admin home names a failed mail by its kind: each kind queued anywhere has a label
    (else staff would read an internal code such as `invoice_reminder`)."""
    import re
    from pathlib import Path

    from clubsite.backoffice.operations_panels import KIND_LABELS
    from clubsite.fees.mailing import KINDS

    source = "\n".join(p.read_text() for p in Path("clubsite").rglob("*.py"))
    queued = set(re.findall(r'enqueue\w*\([^)]*?kind="([a-z_]+)"', source, re.S))
    queued |= set(KINDS.values())
    assert {"signup_confirm", "address_confirm", "unsubscribe_link"} <= queued  # the scan works
    assert queued - set(KIND_LABELS) == set()
