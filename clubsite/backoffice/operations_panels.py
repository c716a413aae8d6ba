"""The admin's home panels on what runs behind the site: the mail outbox and the job runner.

Counts, times and error codes only: no address, no name, no message text.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from clubsite import outbox
from clubsite.database import utcnow
from clubsite.jobs.status import job_statuses
from clubsite.web.panels import home_panel

# A job this late that nobody is running means no job runner is running at all.
RUNNER_MISSING_AFTER = timedelta(minutes=10)
KIND_LABELS = {
    "signup_confirm": _l("Sign-up confirmation"),
    "signup_welcome": _l("Welcome after sign-up"),
    "signup_existing": _l("\u201cYou are already with us\u201d"),
    "my_data_link": _l("\u201cMy data\u201d link"),
    "reverify": _l("Re-verification"),
    "staff_invitation": _l("Staff invitation"),
    "newsletter_test": _l("Newsletter test"),
    "address_confirm": _l("Confirming a new email address"),
    "address_changed": _l("\u201cYour email address was changed\u201d"),
    "unsubscribe_link": _l("Unsubscribe link"),
    "invoice": _l("Invoice"),
    "invoice_reminder": _l("Payment reminder"),
}


@home_panel("settings", _l("Mail"), "backoffice/panels/outbox.html", order=80)
def outbox_panel(_user):
    """Mail waiting, failed for good (the latest with their codes), and the oldest waiting."""
    failures = [
        (KIND_LABELS.get(kind, kind), when, code) for kind, when, code in outbox.recent_failures()
    ]
    return {"summary": outbox.summary(), "failures": failures}


@home_panel("settings", _l("Background jobs"), "backoffice/panels/jobs.html", order=81)
def jobs_panel(_user):
    """Each job's last run, result and next run; a warning when no job runner is running."""
    now = utcnow()
    jobs = job_statuses(now)
    missing = any(
        job.next_due is None or (not job.running and job.next_due < now - RUNNER_MISSING_AFTER)
        for job in jobs
    )
    return {"jobs": jobs, "runner_missing": missing}
