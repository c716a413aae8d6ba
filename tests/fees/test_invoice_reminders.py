"""Overdue reminders on their schedule, with the job runner's clock moved: on the right days, in
the member's language, recorded on the invoice, none once it is paid."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.fees import reminders
from clubsite.fees.delivery_models import InvoiceReminder
from clubsite.i18n import CLUB_TZ
from clubsite.jobs.runner import run_due
from tests.fees.helpers import MEMBER, english, make_member, make_plan, pay, sell
from tests.fees.test_invoice_mailing import pdf_attachment, without_fees_address

SOLD = date(2026, 3, 10)
DUE = date(2026, 3, 24)  # 14 days later (INVOICE_DUE_DAYS)


def _at(day, hour=9, minute=1):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CLUB_TZ).astimezone(UTC)


@pytest.fixture
def run_day(app):
    """Run the reminder job on a day (after INVOICE_REMINDER_HOUR), as the job runner would."""
    run_due(_at(SOLD, 8), names=["fees_reminders"])  # its row, due at 09:00

    def run(day):
        [outcome] = run_due(_at(day), names=["fees_reminders"])
        assert outcome.ok, outcome.error
        return outcome.result

    return run


def _sold(values=None, **extra):
    member = make_member(values, **extra)
    _, invoice = sell(member, make_plan(name=f"Zāle {member.id}"), today=SOLD)
    assert invoice.due_on == DUE
    return member, invoice


def _steps(invoice):
    db.session.expire_all()
    return db.session.scalars(
        select(InvoiceReminder.step).where(InvoiceReminder.invoice_id == invoice.id)
    ).all()


def test_reminders_come_7_and_21_days_after_the_due_date(app, mailbox, run_day):
    """Nothing before day 7; one reminder on day 7, none the day after; the second on day 21.
    Each is recorded on the invoice and carries the PDF; Latvian for a Latvian member."""
    _member, invoice = _sold()
    assert run_day(DUE + timedelta(days=6)) == "sent=0 no_address=0"
    assert run_day(DUE + timedelta(days=7)) == "sent=1 no_address=0"
    assert run_day(DUE + timedelta(days=8)) == "sent=0 no_address=0"
    [first] = mailbox.wait_for(1)
    message = first["message"]
    assert first["to"] == [MEMBER["email"]]
    assert message["Subject"].startswith("Atgādinājums") and invoice.number in message["Subject"]
    assert "List-Unsubscribe" not in message
    assert invoice.number in pdf_attachment(message)[1]
    assert _steps(invoice) == [1]
    assert run_day(DUE + timedelta(days=21)) == "sent=1 no_address=0"
    assert len(mailbox.wait_for(2)) == 2
    assert _steps(invoice) == [1, 2]
    assert run_day(DUE + timedelta(days=22)) == "sent=0 no_address=0"


def test_no_reminder_once_the_invoice_is_paid(app, mailbox, run_day):
    """Paid after the first reminder: the second never comes."""
    _member, invoice = _sold()
    assert run_day(DUE + timedelta(days=7)) == "sent=1 no_address=0"
    mailbox.wait_for(1)
    pay(invoice, today=DUE + timedelta(days=10))
    assert run_day(DUE + timedelta(days=21)) == "sent=0 no_address=0"
    mailbox.flush()
    assert len(mailbox.messages) == 1 and _steps(invoice) == [1]


def test_reminder_in_the_members_language_without_newsletter_consent(app, mailbox, run_day):
    """An English-speaking member enrolled only for access and fees gets an English reminder."""
    member, invoice = _sold({**MEMBER, "email": "john@example.lv"}, purposes=("access", "fees"))
    member.language = "en"
    db.session.commit()
    assert member.purpose("newsletter") is None
    run_day(DUE + timedelta(days=7))
    [received] = mailbox.wait_for(1)
    assert received["message"]["Subject"].startswith("Reminder: invoice " + invoice.number)
    filename, text = pdf_attachment(received["message"])
    assert filename == f"invoice-{invoice.number}.pdf" and "Invoice No." in text


def test_late_runner_catches_up_once_and_old_debts_get_none(app, mailbox, run_day):
    """Down on day 7, the runner sends step 1 on day 10; an invoice first seen 22 days overdue
    gets only step 2; one 100 days overdue gets nothing."""
    _m, late = _sold()
    _m2, skipped = _sold({**MEMBER, "email": "skip@example.lv"})
    _m3, ancient = _sold({**MEMBER, "email": "old@example.lv"})
    skipped.due_on = DUE - timedelta(days=12)  # 22 days overdue on DUE + 10
    ancient.due_on = DUE - timedelta(days=90)
    db.session.commit()
    assert run_day(DUE + timedelta(days=10)) == "sent=2 no_address=0"
    assert _steps(late) == [1] and _steps(skipped) == [2] and _steps(ancient) == []
    assert run_day(DUE + timedelta(days=11)) == "sent=0 no_address=0"


def test_no_address_for_fees_means_no_reminder_mail(app, mailbox, run_day):
    """A member whose email is given only for the newsletter gets no reminder by mail."""
    member = without_fees_address({**MEMBER, "email": "news.only@example.lv"})
    _, invoice = sell(member, make_plan(), today=SOLD)
    assert run_day(DUE + timedelta(days=7)) == "sent=0 no_address=1"
    mailbox.flush()
    assert mailbox.messages == [] and _steps(invoice) == []


def test_reminders_show_on_the_invoice_page(app, client_for, run_day):
    """The accountant sees each reminder sent on the invoice's page."""
    _member, invoice = _sold()
    run_day(DUE + timedelta(days=7))
    accountant = english(client_for("accountant"))
    page = accountant.get(f"/office/fees/invoices/{invoice.public_id}/document").get_data(True)
    assert "Reminder 1 sent on" in page and "(7 days after the due date)" in page


def test_schedule_setting(app):
    """INVOICE_REMINDER_DAYS is a comma-separated list of positive days; empty: no reminders."""
    app.config["INVOICE_REMINDER_DAYS"] = "21, 7,7"
    assert reminders.schedule() == [7, 21]
    app.config["INVOICE_REMINDER_DAYS"] = ""
    assert reminders.schedule() == [] and reminders.due_steps(DUE) == []
    app.config["INVOICE_REMINDER_DAYS"] = "0"
    with pytest.raises(ValueError):
        reminders.schedule()
