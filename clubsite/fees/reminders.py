"""Reminders of overdue invoices, on a schedule (INVOICE_REMINDER_DAYS, e.g. 7 and 21 days after
the due date), sent daily by the job runner in the member's language.

A reminder is part of the contract, not marketing: it never carries offers and does not depend
on newsletter consent. It goes to the address the member gave for fee administration, with the
invoice's PDF, and is recorded on the invoice (InvoiceReminder). Only open invoices are
reminded: once an invoice is paid (or voided, or the bank is collecting it by direct debit, as
`overdue_query` says) no further reminder goes out. Each step is sent on its day, or up to
INVOICE_REMINDER_LATE_DAYS later if the job runner was down; a step whose successor is already
due is skipped, so a member never gets two reminders at once, and invoices long overdue before
the schedule existed get none.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists

from clubsite import outbox
from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees.delivery_models import InvoiceReminder
from clubsite.fees.invoices import overdue_query
from clubsite.fees.mailing import KINDS, RENDERER, fees_address
from clubsite.fees.models import Invoice
from clubsite.i18n import to_local
from clubsite.jobs import DailyAt, job
from clubsite.privacy import audit
from clubsite.privacy.models import Member

DEFAULT_SCHEDULE = "7,21"
DEFAULT_LATE_DAYS = 7


def schedule(config=None):
    """The reminder days after the due date, ascending (INVOICE_REMINDER_DAYS: "7,21")."""
    config = config or current_app.config
    text = str(config.get("INVOICE_REMINDER_DAYS") or "")
    days = sorted({int(part) for part in text.replace(" ", "").split(",") if part})
    if any(day < 1 for day in days):
        raise ValueError("INVOICE_REMINDER_DAYS: whole days after the due date, e.g. 7,21")
    return days


def due_steps(today, config=None):
    """(step, days, earliest due date, latest due date) of each step that may be sent today."""
    config = config or current_app.config
    days = schedule(config)
    late = int(config.get("INVOICE_REMINDER_LATE_DAYS", DEFAULT_LATE_DAYS))
    steps = []
    for index, day in enumerate(days):
        latest = today - timedelta(days=day)
        earliest = latest - timedelta(days=late)
        if index + 1 < len(days):  # once the next step is due, this one is skipped
            earliest = max(earliest, today - timedelta(days=days[index + 1] - 1))
        steps.append((index + 1, day, earliest, latest))
    return steps


def reminders_due(today, step, earliest, latest):
    """Open overdue invoices of members whose reminder `step` (or a later one) is not sent."""
    sent = exists().where(InvoiceReminder.invoice_id == Invoice.id, InvoiceReminder.step >= step)
    return db.session.scalars(
        overdue_query(today)
        .where(Invoice.due_on >= earliest, Invoice.due_on <= latest)
        .where(Invoice.member_id.is_not(None), ~sent)
    ).all()


def queue_reminders(today, *, now=None):
    """Queue every reminder due today; returns counts (sent, no_address)."""
    now = now or utcnow()
    counts = {"sent": 0, "no_address": 0}
    events = []
    for step, days, earliest, latest in due_steps(today):
        for invoice in reminders_due(today, step, earliest, latest):
            member = db.session.get(Member, invoice.member_id)
            address = fees_address(member)
            if address is None:
                counts["no_address"] += 1  # the overdue list and the desk show it instead
                continue
            spec = {"invoice": invoice.public_id, "reminder": step}
            outbox.enqueue_deferred(
                RENDERER, spec, kind=KINDS["reminder"], to=address, member=member
            )
            db.session.add(
                InvoiceReminder(invoice_id=invoice.id, step=step, days_overdue=days, sent_at=now)
            )
            events.append((member.public_id, ["email"]))
            counts["sent"] += 1
    audit.record_many("fees.reminder_queued", events, actor=Actor.system())
    return counts


@job("fees_reminders", DailyAt(9, "INVOICE_REMINDER_HOUR"), _l("Reminders of overdue invoices"))
def reminder_job(now=None):
    """Send the overdue reminders due today (daily at INVOICE_REMINDER_HOUR)."""
    now = now or utcnow()
    counts = queue_reminders(to_local(now).date(), now=now)
    db.session.commit()
    return counts
