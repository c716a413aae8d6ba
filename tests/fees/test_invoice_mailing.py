"""Issuing the period's invoices sends each one: a mail with its PDF through the outbox to a real
SMTP server, or, without an address for fee administration, the desk's hand-over list."""

import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.fees import mailing, terms
from clubsite.fees.delivery_models import InvoiceDelivery
from clubsite.fees.models import Invoice
from clubsite.i18n import CLUB_TZ, today_local
from clubsite.jobs.runner import run_due
from clubsite.outbox import send_due
from clubsite.outbox.deferred import is_deferred
from clubsite.outbox.models import OutboxMessage
from clubsite.outbox.service import open_message
from clubsite.privacy.audit import AuditEvent
from tests.conftest import csrf_token
from tests.fees.helpers import MEMBER, english, make_member, make_plan, pay, sell

ANNA = {**MEMBER, "first_name": "Anna", "last_name": "Kalniņa", "email": "anna@example.lv"}
# Gave her email for the newsletter only: invoices are not mailed to it (purpose limitation).
ILZE = {
    "first_name": "Ilze",
    "last_name": "Ābele",
    "email": "ilze.news@example.lv",
    "postal_address": "Lāčplēša iela 5, Rīga",
}


def pdf_attachment(message):
    """(filename, text) of the single PDF attached to a received mail."""
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(part.get_content())).pages
    )
    return part.get_filename(), text.replace("\xa0", " ")


def without_fees_address(values, purposes=("access", "fees", "newsletter")):
    """A member whose fee administration holds no email address (paper invoices)."""
    member = make_member(values, purposes=purposes)
    enrolment = member.purpose("fees")
    enrolment.fields = ",".join(f for f in enrolment.field_list if f != "email")
    db.session.commit()
    return member


@pytest.fixture
def members(app):
    """Jānis and Anna (fees address given), Ilze (none): each sold a plan this month."""
    plan = make_plan()
    today = today_local()
    sold = {}
    for key, member in (
        ("janis", make_member()),
        ("anna", make_member(ANNA)),
        ("ilze", without_fees_address(ILZE)),
    ):
        _, first = sell(member, plan, today=today)
        sold[key] = member
    return sold


def _next_month():
    first = terms.add_months(today_local().replace(day=1), 1)
    return first.strftime("%Y-%m")


def test_issuing_sends_one_mail_per_invoice_with_its_pdf(app, runner, mailbox, members):
    """The CLI run: one mail for Jānis and one for Anna, each with its own PDF; none for Ilze,
    whose only address is for the newsletter, and her invoice waits at the desk."""
    result = runner.invoke(args=["fees", "issue-invoices", "--period", _next_month()])
    assert result.exit_code == 0, result.output
    assert "issued 3 invoices: 2 queued by email, 1 to hand over at the desk" in result.output
    issued = {
        i.member_id: i
        for i in db.session.scalars(select(Invoice).where(Invoice.issued_on == today_local()))
        if i.period_start > today_local()
    }
    messages = mailbox.wait_for(2)
    send_due()
    assert len(mailbox.messages) == 2
    for key, address, name in (
        ("janis", MEMBER["email"], "Jānis Bērziņš"),
        ("anna", ANNA["email"], "Anna Kalniņa"),
    ):
        [received] = mailbox.to(address)
        invoice = issued[members[key].id]
        message = received["message"]
        assert invoice.number in message["Subject"]
        assert "List-Unsubscribe" not in message  # part of the contract, not marketing
        filename, text = pdf_attachment(message)
        assert filename == f"rekins-{invoice.number}.pdf"
        assert invoice.number in text and name in text and "35,00 €" in text
    assert mailbox.to(ILZE["email"]) == [] and len(messages) == 2
    deliveries = dict(
        db.session.execute(select(InvoiceDelivery.invoice_id, InvoiceDelivery.channel)).all()
    )
    assert deliveries == {
        issued[members["janis"].id].id: "email",
        issued[members["anna"].id].id: "email",
        issued[members["ilze"].id].id: "desk",
    }


def test_the_outbox_holds_which_invoice_not_its_pdf(app, members):
    """PDFs are rendered when sent: a queued invoice mail is a renderer's spec of a few bytes."""
    first, last = mailing.period_days(_next_month())
    report = mailing.issue_and_queue(first, last)
    db.session.commit()
    assert (report.issued, report.mailed, report.desk) == (3, 2, 1)
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invoice")).all()
    assert len(rows) == 2
    for row in rows:
        recipient, body = open_message(app.config["KEY_RING"], row)
        assert is_deferred(body) and b"%PDF" not in body and len(body) < 200
        assert recipient in (MEMBER["email"], ANNA["email"])


def test_desk_list_for_reception_and_accountant_then_handed_over(app, client_for, members):
    """Ilze's invoice is on reception's list (her name from club access, no address) and on the
    accountant's (with the PDF); handed over, it leaves both."""
    first, last = mailing.period_days(_next_month())
    mailing.issue_and_queue(first, last)
    db.session.commit()
    invoice = db.session.scalar(
        select(Invoice)
        .join(InvoiceDelivery, InvoiceDelivery.invoice_id == Invoice.id)
        .where(InvoiceDelivery.channel == "desk")
    )
    reception = english(client_for("reception"))
    page = reception.get("/office/desk/invoices").get_data(as_text=True)
    assert invoice.number in page and "Ilze Ābele" in page
    assert "Lāčplēša" not in page and "/pdf" not in page
    assert "1 invoice to hand over" in reception.get("/office/").get_data(as_text=True)
    accountant = english(client_for("accountant"))
    listing = accountant.get("/office/fees/desk-invoices").get_data(as_text=True)
    assert invoice.number in listing and f"/fees/invoices/{invoice.public_id}/pdf" in listing
    token = csrf_token(reception, "/office/desk/invoices")
    done = reception.post(
        f"/office/desk/invoices/{invoice.public_id}/handed-over", data={"csrf_token": token}
    )
    assert done.status_code == 302
    after = reception.get("/office/desk/invoices").get_data(as_text=True)
    assert f"Invoice {invoice.number} is handed over." in after  # the flash, not the list
    assert f"/desk/invoices/{invoice.public_id}/handed-over" not in after
    assert invoice.number not in accountant.get("/office/fees/desk-invoices").get_data(True)
    delivery = db.session.get(InvoiceDelivery, invoice.id)
    db.session.refresh(delivery)
    assert delivery.handed_over_at is not None
    assert delivery.handed_over_by == reception.staff_user.public_id
    handed = select(func.count()).where(AuditEvent.action == "fees.invoice_handed_over")
    assert db.session.scalar(handed) == 1


def test_the_accountants_page_issues_and_sends(app, client_for, mailbox, members):
    """The fees home's "Generate invoices" sends what it issues."""
    accountant = english(client_for("accountant"))
    token = csrf_token(accountant, "/office/fees")
    accountant.post("/office/fees/generate", data={"month": _next_month(), "csrf_token": token})
    home = accountant.get("/office/fees").get_data(as_text=True)
    assert "3 invoices issued: 2 sent by email, 1 to hand over at the desk." in home
    assert {tuple(m["to"]) for m in mailbox.wait_for(2)} == {(MEMBER["email"],), (ANNA["email"],)}


def test_sending_one_invoice_again_from_its_page(app, client_for, mailbox):
    """The first invoice of a sale can be sent from its page; the mail carries its PDF."""
    member = make_member()
    _, invoice = sell(member, make_plan(), today=today_local())
    accountant = english(client_for("accountant"))
    url = f"/office/fees/invoices/{invoice.public_id}/document"
    token = csrf_token(accountant, url)
    accountant.post(f"/office/fees/invoices/{invoice.public_id}/send", data={"csrf_token": token})
    [received] = mailbox.wait_for(1)
    assert pdf_attachment(received["message"])[0] == f"rekins-{invoice.number}.pdf"
    assert "By email on" in accountant.get(url).get_data(as_text=True)


def _riga(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CLUB_TZ).astimezone(UTC)


def test_job_runner_issues_from_the_configured_day(app, mailbox):
    """INVOICE_RUN_DAY=3: nothing on the 2nd; on the 3rd at INVOICE_RUN_HOUR the month's
    periods are invoiced and mailed; the next day finds nothing left to do."""
    member = make_member()
    _, first = sell(member, make_plan(), today=date(2026, 3, 10))
    pay(first, today=date(2026, 3, 10))
    app.config.update(INVOICE_RUN_DAY=3, INVOICE_RUN_HOUR=6)
    run_due(_riga(date(2026, 4, 2), 5), names=["fees_invoice_run"])  # its row: due at 06:00
    [quiet] = run_due(_riga(date(2026, 4, 2), 6, 1), names=["fees_invoice_run"])
    assert quiet.ok and quiet.result == "issued=0"
    [run] = run_due(_riga(date(2026, 4, 3), 6, 1), names=["fees_invoice_run"])
    assert run.ok and run.result == "issued=1 mailed=1 desk=0"
    invoice = db.session.scalar(select(Invoice).where(Invoice.period_start == date(2026, 4, 10)))
    assert invoice.issued_on == date(2026, 4, 3)
    [received] = mailbox.wait_for(1)
    assert invoice.number in pdf_attachment(received["message"])[1]
    [again] = run_due(_riga(date(2026, 4, 4), 6, 1), names=["fees_invoice_run"])
    assert again.result == "issued=0 mailed=0 desk=0"


def test_a_mail_whose_invoice_is_gone_fails_for_good(app, members):
    """The renderer cannot make a mail for a deleted invoice: failed with code "render"."""
    first, last = mailing.period_days(_next_month())
    mailing.issue_and_queue(first, last)
    db.session.commit()
    gone = db.session.scalar(
        select(Invoice).join(InvoiceDelivery).where(InvoiceDelivery.channel == "email")
    )
    db.session.delete(gone)
    db.session.commit()
    app.config["MAIL_URL"] = f"file://{app.instance_path}/outbox"
    assert send_due() == {"sent": 1, "retry": 0, "failed": 1}
    failed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed.last_error == "render" and failed.body_enc is None


def test_run_month_follows_the_settings(app):
    """The month the automatic run invoices, from INVOICE_RUN_DAY and _MONTHS_AHEAD."""
    app.config.update(INVOICE_RUN_DAY=25, INVOICE_RUN_MONTHS_AHEAD=1)
    assert mailing.run_month(date(2026, 11, 24)) is None
    assert mailing.run_month(date(2026, 11, 25)) == (date(2026, 12, 1), date(2026, 12, 31))
    app.config["INVOICE_RUN_DAY"] = 0
    assert mailing.run_month(date(2026, 11, 30)) is None
    assert mailing.period_days("2027-02") == (date(2027, 2, 1), date(2027, 2, 28))
    with pytest.raises(ValueError):
        mailing.period_days("2027-2x")


def test_selling_a_plan_on_the_accountants_page_mails_its_first_invoice(app, client_for, mailbox):
    """The first invoice of a sale reaches the member as the month's do: by mail with its PDF;
    without a fees address it is listed for the desk, and the page says which."""
    plan = make_plan()
    janis, ilze = make_member(), without_fees_address(ILZE)
    accountant = english(client_for("accountant"))
    for member, said in ((janis, "is being mailed"), (ilze, "handed over at the desk")):
        url = f"/office/fees/members/{member.public_id}"
        data = {"plan": plan.public_id, "starts_on": today_local().isoformat()}
        response = accountant.post(
            url, data={**data, "csrf_token": csrf_token(accountant, url)}, follow_redirects=True
        )
        assert said in response.get_data(as_text=True)
    [received] = mailbox.wait_for(1)
    assert received["to"] == [MEMBER["email"]]
    filename, text = pdf_attachment(received["message"])
    [invoice] = db.session.scalars(select(Invoice).where(Invoice.member_id == janis.id)).all()
    assert invoice.number in filename and invoice.number in text
    channels = dict(
        db.session.execute(select(InvoiceDelivery.invoice_id, InvoiceDelivery.channel)).all()
    )
    ilze_invoice = db.session.scalar(select(Invoice.id).where(Invoice.member_id == ilze.id))
    assert channels == {invoice.id: "email", ilze_invoice: "desk"}
    assert mailbox.to(ILZE["email"]) == []
