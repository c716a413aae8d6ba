"""Invoices kept at the desk, and the member's own invoices (My data).

An invoice whose member gave no address for fee administration waits at the desk. The
accountant prints it (the list with the PDFs); reception hands it over and says so. Reception
sees what the desk sees of fees (clubsite.fees.desk): the invoice's number, period and amount,
and the member's name only where its role covers it (club access); never the invoice's copy of
the buyer (personal code, postal address), which stays with the accountant.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.domain import NotFound, as_actor
from clubsite.extensions import db
from clubsite.fees.delivery_models import InvoiceDelivery
from clubsite.fees.invoices import buyer_details, invoice_by_public_id, invoices_of
from clubsite.fees.models import Invoice
from clubsite.privacy import access, audit
from clubsite.privacy.models import Member

PAGE = 200


@dataclass(frozen=True)
class Waiting:
    """One invoice waiting at the desk, with the name the viewer may see."""

    invoice: Invoice
    name: str


def waiting_query():
    """Invoices at the desk not yet handed over (not void, member not erased), oldest first."""
    return (
        select(Invoice)
        .join(InvoiceDelivery, InvoiceDelivery.invoice_id == Invoice.id)
        .where(InvoiceDelivery.channel == "desk", InvoiceDelivery.handed_over_at.is_(None))
        .where(Invoice.status != "void", Invoice.member_id.is_not(None))
        .order_by(Invoice.id)
    )


def waiting_for_accountant(*, actor, limit=PAGE):
    """The waiting invoices with the buyer's name as printed on them (audited as one read)."""
    rows = db.session.scalars(waiting_query().limit(limit)).all()
    if rows:
        audit.record(
            "fees.desk_list", fields=["buyer_name"], detail=f"rows={len(rows)}", actor=actor
        )
    return [Waiting(i, buyer_details(i).get("buyer_name", "")) for i in rows]


def waiting_for_desk(user, *, limit=PAGE):
    """The waiting invoices with the member's name where the staff member's role covers it."""
    rows = db.session.scalars(waiting_query().limit(limit)).all()
    ids = {i.member_id for i in rows}
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}
    ordered = [members[i.member_id] for i in rows]
    views = access.read_names(user, ordered) if ordered else []
    return [Waiting(invoice, view.name) for invoice, view in zip(rows, views, strict=True)]


def hand_over(public_id, *, actor, now=None):
    """Record that reception gave the member their invoice."""
    invoice = invoice_by_public_id(public_id)
    delivery = db.session.get(InvoiceDelivery, invoice.id) if invoice else None
    if delivery is None or delivery.channel != "desk" or invoice.member_id is None:
        raise NotFound(_l("This invoice is not waiting at the desk."))
    if delivery.handed_over_at is None:
        actor = as_actor(actor)
        delivery.handed_over_at = now or utcnow()
        delivery.handed_over_by = actor.id or actor.kind
        member = db.session.get(Member, invoice.member_id)
        audit.record(
            "fees.invoice_handed_over", subject=member.public_id, detail=invoice.number, actor=actor
        )
    return invoice


def member_invoices(member):
    """The member's invoices for My data, newest first (void ones included: they were sent)."""
    return invoices_of(member)


def member_invoice(member, public_id):
    """One of the member's own invoices; NotFound for anyone else's."""
    invoice = invoice_by_public_id(public_id)
    if invoice is None or invoice.member_id != member.id:
        raise NotFound()
    return invoice
