"""Invoices that reach the member: issue the period's invoices and send each one.

Issuing (the accountant's page, `flask --app wsgi fees issue-invoices --period YYYY-MM`, and the
job runner on the day of the month INVOICE_RUN_DAY) generates the invoices and, in the same
transaction, delivers each: one mail through the outbox to the address the member gave for fee
administration, with the invoice's PDF attached; without such an address, the invoice is kept
for the member at the desk (clubsite.fees.handover). The mail is queued *deferred*
(clubsite.outbox.deferred): the outbox row holds only which invoice it is, and the sender
renders the text and the PDF when it sends, so a run of 70,000 invoices writes 70,000 small
rows instead of 70,000 PDFs. Invoice mails are part of the contract: they carry no offers and
need no newsletter consent.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from clubsite import outbox
from clubsite.database import utcnow
from clubsite.domain import Actor, as_actor
from clubsite.extensions import db
from clubsite.fees import documents, service
from clubsite.fees.delivery_models import InvoiceDelivery, InvoiceReminder
from clubsite.fees.invoices import generate_invoices, invoice_by_public_id
from clubsite.fees.models import Invoice
from clubsite.fees.terms import FeesError, add_months
from clubsite.i18n import format_date, format_money, to_local
from clubsite.jobs import DailyAt, job
from clubsite.mail import link_context, render_mail, site_link
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member, MemberPurpose

RENDERER = "fees_invoice"  # the outbox renderer of invoice and reminder mails
KINDS = {"invoice": "invoice", "reminder": "invoice_reminder"}  # outbox kind = email template


@dataclass(frozen=True)
class IssueReport:
    """What an invoice run did: invoices issued, of them mailed and kept at the desk."""

    issued: int
    mailed: int
    desk: int

    def counts(self):
        """For the job status."""
        return {"issued": self.issued, "mailed": self.mailed, "desk": self.desk}


def fees_address(member):
    """The email address the member gave for fee administration, or None."""
    enrolment = member.purpose("fees")
    if enrolment is None or "email" not in enrolment.field_list:
        return None
    return store.read(member, ["email"]).get("email")


def period_days(month):
    """(first, last day) of a month given as YYYY-MM; ValueError if malformed."""
    first = datetime.strptime(month, "%Y-%m").date()
    return first, add_months(first, 1) - timedelta(days=1)


def issue_and_queue(first, last, *, today=None, actor=None):
    """Issue the invoices of periods starting in [first, last] and deliver each one."""
    issued = generate_invoices(first, last, today=today, actor=actor)
    mailed = deliver_invoices(issued, actor=actor)
    return IssueReport(len(issued), mailed, len(issued) - mailed)


def deliver_invoices(invoices, *, actor=None, now=None):
    """Mail each newly issued invoice to its member's fees address, or keep it at the desk.

    Returns how many were mailed. Set-based for the month's run: the members are read in
    chunks, nothing is queried per invoice, and the outbox and delivery rows go to the database
    in multi-row INSERTs.
    """
    now = now or utcnow()
    mails, deliveries = [], []
    with db.session.no_autoflush:
        for chunk in _chunks(list(invoices), CHUNK):
            addresses = _fees_addresses({invoice.member_id for invoice in chunk})
            for invoice in chunk:
                address = addresses[invoice.member_id]
                if address:
                    mails.append(({"invoice": invoice.public_id}, address, invoice.member_id))
                channel = "email" if address else "desk"
                deliveries.append(
                    {"invoice_id": invoice.id, "channel": channel, "delivered_at": now}
                )
    db.session.flush()
    outbox.enqueue_deferred_many(RENDERER, mails, kind=KINDS["invoice"])
    if deliveries:
        db.session.execute(insert(InvoiceDelivery), deliveries)
    # One event for the run, as for other bulk work (the export, a list): what was read for
    # how many; each invoice's own event is its issue (fees.invoice_issued).
    if deliveries:
        audit.record(
            "fees.invoices_delivered",
            fields=["email"],
            detail=f"rows={len(deliveries)} email={len(mails)}",
            actor=as_actor(actor),
        )
    return len(mails)


CHUNK = 1000


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _fees_addresses(ids):
    """{member id: fees address or None} in one query, without loading members.

    The rows carry what `fields.read` needs of a member (its public id and the email's
    ciphertext), so the address is decrypted there, as everywhere.
    """
    fees = (MemberPurpose.member_id == Member.id) & (MemberPurpose.purpose == "fees")
    rows = db.session.execute(
        select(Member.id, Member.public_id, Member.email_enc, MemberPurpose.fields)
        .outerjoin(MemberPurpose, fees)
        .where(Member.id.in_(ids))
    ).all()
    found = {}
    for row in rows:
        given = "email" in (row.fields or "").split(",")
        address = store.read(row, ["email"]).get("email") if given else None
        found[row.id] = address
    return found


def sell_and_deliver(member, plan, *, starts_on=None, actor, today=None):
    """Sell a plan (clubsite.fees.service) and deliver its first invoice as the month's run
    delivers every invoice: mailed with its PDF, or kept for the desk. (membership, channel)"""
    membership = service.sell_membership(
        member, plan, starts_on=starts_on, actor=actor, today=today
    )
    first = db.session.scalar(select(Invoice).where(Invoice.membership_id == membership.id))
    return membership, deliver_invoice(first, actor=actor)


def deliver_invoice(invoice, *, actor, now=None):
    """Send one invoice again (or for the first time): by email, or to the desk; the channel."""
    member = db.session.get(Member, invoice.member_id) if invoice.member_id else None
    if invoice.status != "open" or member is None:
        raise FeesError(_l("Only an open invoice of a member can be sent."))
    now = now or utcnow()
    channel = _queue(invoice, member)
    delivery = db.session.get(InvoiceDelivery, invoice.id)
    if delivery is None:
        db.session.add(InvoiceDelivery(invoice_id=invoice.id, channel=channel, delivered_at=now))
    elif delivery.channel != channel or channel == "email":
        delivery.channel, delivery.delivered_at = channel, now
        delivery.handed_over_at = delivery.handed_over_by = None
    audit.record(
        "fees.invoice_delivered",
        subject=member.public_id,
        fields=["email"] if channel == "email" else [],
        detail=f"{invoice.number}:{channel}",
        actor=as_actor(actor),
    )
    return channel


def _queue(invoice, member):
    """Queue the invoice's mail to the member's fees address; the channel ("email" or "desk")."""
    address = fees_address(member)
    if address is None:
        return "desk"
    spec = {"invoice": invoice.public_id}
    outbox.enqueue_deferred(RENDERER, spec, kind=KINDS["invoice"], to=address, member=member.id)
    return "email"


def render_invoice_mail(spec, *, to):
    """The outbox renderer: the invoice (or reminder) mail with its PDF, made at send time."""
    invoice = invoice_by_public_id(spec.get("invoice"))
    member = db.session.get(Member, invoice.member_id) if invoice and invoice.member_id else None
    if member is None:
        raise outbox.RenderError("the invoice or its member is gone")
    doc = documents.invoice_document(invoice)
    kind = "reminder" if spec.get("reminder") else "invoice"
    context = {
        "name": store.read(member, ["first_name"]).get("first_name", ""),
        "number": doc.number,
        "club_name": doc.club.name,
        "club_iban": doc.club.iban,
        "reminder": spec.get("reminder"),
        "description": invoice.description,
        "my_data_url": _my_data_url(member.language),
    }
    with link_context():
        message = render_mail(KINDS[kind], to=to, language=doc.language, **context, **_numbers(doc))
    message.add_attachment(
        documents.render_pdf(doc),
        maintype="application",
        subtype="pdf",
        filename=documents.pdf_filename(doc),
    )
    return message


def _numbers(doc):
    """Dates and amounts as the member's language writes them."""
    with force_locale(doc.language):
        return {
            "issued_on": format_date(doc.issued_on),
            "due_on": format_date(doc.due_on),
            "period": format_date(doc.lines[0].period_start)
            + " – "
            + format_date(doc.lines[0].period_end),
            "total": format_money(doc.total_cents),
            "to_pay": format_money(doc.remaining_cents),
        }


def _my_data_url(language):
    return site_link("public.my_data", lang=language)


def delivery_of(invoice):
    """(its delivery row or None, its reminders oldest first)."""
    reminders = db.session.scalars(
        select(InvoiceReminder)
        .where(InvoiceReminder.invoice_id == invoice.id)
        .order_by(InvoiceReminder.step)
    ).all()
    return db.session.get(InvoiceDelivery, invoice.id), reminders


def run_month(today):
    """The month whose periods the automatic run invoices on `today`, or None (not its day)."""
    config = current_app.config
    day = int(config.get("INVOICE_RUN_DAY") or 0)
    if not 1 <= day <= 28 or today.day < day:
        return None
    first = add_months(today.replace(day=1), int(config.get("INVOICE_RUN_MONTHS_AHEAD") or 0))
    return first, add_months(first, 1) - timedelta(days=1)


@job("fees_invoice_run", DailyAt(6, "INVOICE_RUN_HOUR"), _l("Issuing the month's invoices"))
def invoice_run_job(now=None):
    """From INVOICE_RUN_DAY of each month on: issue and send that month's invoices.

    Daily from that day to the month's end, so a runner that was down on the day catches up;
    a run finds nothing left to do once the month is invoiced.
    """
    today = to_local(now or utcnow()).date()
    month = run_month(today)
    if month is None:
        return {"issued": 0}
    report = issue_and_queue(*month, today=today, actor=Actor.system())
    db.session.commit()
    return report.counts()


RENDERERS = {RENDERER: render_invoice_mail}
