"""Invoices with gapless sequential numbers, payments, the overdue list and a member's statement.

Numbers are taken from a counter row locked for the rest of the transaction (SELECT ... FOR
UPDATE on PostgreSQL; on SQLite the write step of the unit of work begins IMMEDIATE, so writers
queue), so concurrent issuers queue and a rolled-back transaction gives its number back: no gaps,
no duplicates. Every change and every read of a buyer's details is audited under the Actor
passed in (None: the system).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from clubsite.database import new_public_id, utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.fees.lapse import lapse_memberships
from clubsite.fees.models import PAYMENT_METHODS, Invoice, InvoiceCounter, Membership, Payment
from clubsite.fees.terms import (
    MEMBERSHIP_PURPOSES,
    FeesError,
    check_version,
    period_after,
    sync_purposes_of,
)
from clubsite.i18n import today_local
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.crypto import decrypt_field, encrypt_field
from clubsite.privacy.models import Member, MemberPurpose
from clubsite.privacy.purposes import PURPOSES

DEFAULT_DUE_DAYS = 14


def lock_counter(year):
    """Lock (creating it if needed) the year's counter row until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(InvoiceCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    return db.session.execute(
        select(InvoiceCounter)
        .where(InvoiceCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def next_number(year):
    """Take the next invoice number of the year, e.g. 2026-000123."""
    counter = lock_counter(year)
    counter.last_number += 1
    db.session.flush()
    return _number(year, counter.last_number)


def _number(year, number):
    """An invoice number as printed: 2026-000123 (sorts as it counts within the year)."""
    return f"{year}-{number:06d}"


def legal_years():
    """Years an invoice is kept after its financial (calendar) year: the fees purpose's registry
    (accounting law: 5)."""
    return PURPOSES["fees"].retention.legal_years


def legal_keep_until(*days):
    """The last day an invoice must be kept: legal_years() after its latest financial year."""
    return date(max(d.year for d in days) + legal_years(), 12, 31)


def _encrypt(invoice, column, text):
    return encrypt_field(
        current_app.config["KEY_RING"],
        text,
        table="invoice",
        column=column,
        row_id=invoice.public_id,
    )


def buyer_details(invoice):
    """The invoice's own copy of the buyer's details (decrypted; the caller audits the read)."""
    ring = current_app.config["KEY_RING"]
    values = {}
    for column in ("buyer_name", "buyer_personal_code", "buyer_address"):
        blob = getattr(invoice, f"{column}_enc")
        if blob is not None:
            values[column] = decrypt_field(
                ring, blob, table="invoice", column=column, row_id=invoice.public_id
            )
    return values


def _buyer_values(member, given):
    """The legally required buyer details: the name, and the personal code and address only
    where the member gave them for fee administration (given: those field names);
    (details, the field names read). member: a Member or a row with its columns."""
    wanted = ["first_name", "last_name"] + [
        f for f in ("personal_code", "postal_address") if f in given
    ]
    values = store.read(member, wanted)
    copied = {
        "buyer_name": store.display_name(values),
        "buyer_personal_code": values.get("personal_code"),
        "buyer_address": values.get("postal_address"),
    }
    return copied, [f for f in wanted if f in values]


def _copy_buyer(invoice, member):
    """Copy the buyer details onto the invoice (encrypted); the field names read."""
    enrolment = member.purpose("fees")
    copied, fields = _buyer_values(member, enrolment.field_list if enrolment else ())
    for column, value in copied.items():
        setattr(invoice, f"{column}_enc", _encrypt(invoice, column, value) if value else None)
    return fields


def issue_invoice(member, *, membership, period, today=None, actor=None, amount_cents=None):
    """Issue an invoice to a member for one period of a membership; returns the invoice."""
    today = today or today_local()
    start, end = period
    due_days = int(current_app.config.get("INVOICE_DUE_DAYS", DEFAULT_DUE_DAYS))
    invoice = Invoice(
        number=next_number(today.year),
        member_id=member.id,
        membership_id=membership.id if membership else None,
        description=membership.plan.name if membership else "",
        issued_on=today,
        period_start=start,
        period_end=end,
        due_on=max(today, start) + timedelta(days=due_days),
        amount_cents=amount_cents or membership.plan.price_cents,
        status="open",
        keep_until=legal_keep_until(today),
    )

    invoice.public_id = new_public_id()
    fields = _copy_buyer(invoice, member)
    db.session.add(invoice)
    db.session.flush()
    audit.record(
        "fees.invoice_issued",
        subject=member.public_id,
        fields=fields,
        detail=invoice.number,
        actor=as_actor(actor),
    )
    return invoice


@dataclass(frozen=True)
class Issued:
    """An invoice a run issued: what delivering it needs, without an ORM object per invoice."""

    id: int
    public_id: str
    member_id: int
    number: str
    period_start: date
    period_end: date


def generate_invoices(period_first, period_last, *, today=None, actor=None):
    """Invoice every active membership for each of its periods starting in the given days;
    returns the invoices issued (Issued, in number order).

    Idempotent: a period already invoiced extends the membership past it, so a second run (even
    a concurrent one, which waits for the counter lock) finds nothing left to do. Memberships
    whose grace is over lapse first (clubsite.fees.lapse), even before the daily run, so they
    are not invoiced again.

    Set-based for the month's run of tens of thousands: the buyers are read in one query per
    chunk (columns, not ORM objects), the counter moves once per chunk, the invoices go in one
    multi-row INSERT per chunk with their audit events in one insert, and the memberships' new
    valid-until dates in one executemany.
    """
    today = today or today_local()
    # Take the counter lock first: concurrent runs queue here and then see each other's work.
    counter = lock_counter(today.year)
    lapse_memberships(today)
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.status == "active", Membership.ends_on < period_last)
        .order_by(Membership.id)
        .execution_options(populate_existing=True)
    ).all()
    due_days = int(current_app.config.get("INVOICE_DUE_DAYS", DEFAULT_DUE_DAYS))
    first_number = counter.last_number + 1
    extended = []  # (membership, its new valid-until date)
    for chunk in _chunks(memberships, RUN_CHUNK):
        buyers = _buyers({m.member_id for m in chunk})
        rows, events = [], []
        for membership in chunk:
            buyer = buyers[membership.member_id]
            ends_on = membership.ends_on
            start, end = period_after(membership, ends_on)
            while period_first <= start <= period_last:
                counter.last_number += 1
                rows.append(_invoice_row(buyer, membership, (start, end), today, due_days, counter))
                events.append((buyer.public_id, buyer.fields, rows[-1]["number"]))
                ends_on = end
                start, end = period_after(membership, ends_on)
            if ends_on != membership.ends_on:
                extended.append((membership, ends_on))
        if rows:
            # The table, not the entity: the ORM's bulk insert would split the rows into
            # groups by which values are None (the optional buyer details), one INSERT each.
            db.session.execute(insert(Invoice.__table__), rows)
            audit.record_many("fees.invoice_issued", events, actor=as_actor(actor))
    db.session.flush()  # the counter
    _extend(extended)
    # A membership still active keeps its member's purposes ongoing; only those whose
    # purposes were marked as ending (a lapse undone, a data repair) need setting again.
    _resync_ended_purposes({m.member_id for m, _ends_on in extended})
    return _issued(today.year, first_number, counter.last_number)


RUN_CHUNK = 1000


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@dataclass(frozen=True)
class _Buyer:
    """A member as an invoice copies them: decrypted details and the field names read."""

    id: int
    public_id: str
    details: dict  # buyer_name, buyer_personal_code, buyer_address
    fields: list


def _buyers(ids):
    """{member id: _Buyer} in one query: the member columns `fields.read` needs and the fields
    given for fee administration, without loading Member objects."""
    fees = (MemberPurpose.member_id == Member.id) & (MemberPurpose.purpose == "fees")
    rows = db.session.execute(
        select(
            Member.id,
            Member.public_id,
            Member.first_name_enc,
            Member.last_name_enc,
            Member.personal_code_enc,
            Member.postal_address_enc,
            MemberPurpose.fields,
        )
        .outerjoin(MemberPurpose, fees)
        .where(Member.id.in_(ids))
    ).all()
    found = {}
    for row in rows:
        details, fields = _buyer_values(row, (row.fields or "").split(","))
        found[row.id] = _Buyer(row.id, row.public_id, details, fields)
    return found


def _invoice_row(buyer, membership, period, today, due_days, counter):
    """The columns of one new invoice, its buyer's details encrypted to it."""
    start, end = period
    public_id = new_public_id()
    row = {
        "public_id": public_id,
        "number": _number(counter.year, counter.last_number),
        "member_id": buyer.id,
        "membership_id": membership.id,
        "description": membership.plan.name,
        "issued_on": today,
        "period_start": start,
        "period_end": end,
        "due_on": max(today, start) + timedelta(days=due_days),
        "amount_cents": membership.plan.price_cents,
        "paid_cents": 0,
        "status": "open",
        "keep_until": legal_keep_until(today),
        "created_at": utcnow(),
        "version": 1,
    }
    ring = current_app.config["KEY_RING"]
    for column, value in buyer.details.items():
        bound = {"table": "invoice", "column": column, "row_id": public_id}
        row[f"{column}_enc"] = encrypt_field(ring, value, **bound) if value else None
    return row


def _extend(extended):
    """Move each membership's valid-until date to the last period invoiced: one executemany
    (version checked, as the ORM would), the loaded objects set to match."""
    if not extended:
        return
    table = Membership.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("m_id"), table.c.version == bindparam("m_version"))
        .values(ends_on=bindparam("new_end"), version=table.c.version + 1),
        [{"m_id": m.id, "m_version": m.version, "new_end": end} for m, end in extended],
    )
    for membership, end in extended:
        set_committed_value(membership, "ends_on", end)
        set_committed_value(membership, "version", membership.version + 1)


def _issued(year, first, last):
    """The invoices numbered first..last of the year, as Issued, in number order."""
    if last < first:
        return []
    rows = db.session.execute(
        select(
            Invoice.id,
            Invoice.public_id,
            Invoice.member_id,
            Invoice.number,
            Invoice.period_start,
            Invoice.period_end,
        )
        .where(Invoice.number.between(_number(year, first), _number(year, last)))
        .order_by(Invoice.number)
    )
    return [Issued(*row) for row in rows]


def _resync_ended_purposes(member_ids):
    """sync_purposes_of for those of these members whose membership purposes have an end."""
    ids, ending = sorted(member_ids), []
    for start in range(0, len(ids), RUN_CHUNK):
        ending += db.session.scalars(
            select(MemberPurpose.member_id).where(
                MemberPurpose.member_id.in_(ids[start : start + RUN_CHUNK]),
                MemberPurpose.purpose.in_(MEMBERSHIP_PURPOSES),
                MemberPurpose.ends_at.is_not(None),
            )
        ).all()
    if ending:
        sync_purposes_of(set(ending))


def record_payment(
    invoice, amount_cents, method, *, paid_on=None, actor, expected_version, today=None
):
    """Record a payment; the invoice is paid once its payments reach its amount.

    actor is the staff member who took it (an Actor); their public id is kept on the payment.
    """
    actor = as_actor(actor)
    today = today or today_local()
    paid_on = paid_on or today
    check_version(invoice, expected_version)
    if invoice.status == "void":
        raise FeesError(_l("This invoice is void; it cannot be paid."))
    if invoice.status == "paid":
        raise FeesError(_l("This invoice is already paid."))
    if method not in PAYMENT_METHODS:
        raise FeesError(_l("Choose how it was paid."), "method")
    if paid_on > today:
        raise FeesError(_l("The payment date cannot be in the future."), "paid_on")
    if amount_cents > invoice.remaining_cents:
        raise FeesError(_l("This is more than is still due on this invoice."), "amount")
    payment = Payment(
        amount_cents=amount_cents,
        method=method,
        paid_on=paid_on,
        recorded_by=actor.id or actor.kind,
    )
    invoice.payments.append(payment)
    invoice.paid_cents += amount_cents
    if invoice.paid_cents >= invoice.amount_cents:
        invoice.status = "paid"
    invoice.keep_until = legal_keep_until(invoice.issued_on, paid_on)
    audit.record(
        "fees.payment_recorded",
        subject=_member_public_id(invoice),
        detail=invoice.number,
        actor=actor,
    )
    return payment


def void_invoice(invoice, *, expected_version, actor=None):
    """Cancel an unpaid invoice; its number stays used (no gaps in the sequence)."""
    check_version(invoice, expected_version)
    if invoice.status != "open" or invoice.paid_cents:
        raise FeesError(_l("Only an open invoice without payments can be voided."))
    invoice.status = "void"
    audit.record(
        "fees.invoice_voided",
        subject=_member_public_id(invoice),
        detail=invoice.number,
        actor=as_actor(actor),
    )
    return invoice


def _member_public_id(invoice):

    if invoice.member_id is None:
        return None
    return db.session.scalar(select(Member.public_id).where(Member.id == invoice.member_id))


def member_public_ids(rows):
    """{invoice id: member public id} for invoices still linked to a member."""

    ids = {i.member_id for i in rows if i.member_id is not None}
    if not ids:
        return {}
    public = dict(
        db.session.execute(select(Member.id, Member.public_id).where(Member.id.in_(ids))).all()
    )
    return {i.id: public[i.member_id] for i in rows if i.member_id in public}


def read_invoice(invoice, *, actor):
    """The buyer's details and the member's public id (if not erased), audited as a read."""
    buyer = buyer_details(invoice)
    member_public_id = member_public_ids([invoice]).get(invoice.id)
    audit.record(
        "fees.invoice_read", subject=member_public_id, fields=sorted(buyer), actor=as_actor(actor)
    )
    return buyer, member_public_id


def overdue_list(limit, *, actor):
    """(invoices, {id: buyer name}, {id: member public id}) of the oldest overdue, audited."""
    rows = db.session.scalars(overdue_query().limit(limit)).all()
    names = {i.id: buyer_details(i).get("buyer_name", "") for i in rows}
    if rows:
        audit.record(
            "fees.overdue_list",
            fields=["buyer_name"],
            detail=f"rows={len(rows)}",
            actor=as_actor(actor),
        )
    return rows, names, member_public_ids(rows)


def invoice_by_public_id(public_id):
    """The invoice with this public id, or None."""
    return db.session.scalar(select(Invoice).where(Invoice.public_id == (public_id or "")[:36]))


def _overdue(today, grace_days):
    """The one rule for "overdue": open, due more than grace_days ago, and not being collected
    by direct debit (such an invoice is not overdue until the bank returns it)."""
    return (
        Invoice.status == "open",
        Invoice.due_on < today - timedelta(days=grace_days),
        or_(Invoice.collection_status.is_(None), Invoice.collection_status != "sent"),
    )


def overdue_query(today=None, *, grace_days=0):
    """Overdue invoices, oldest first."""
    today = today or today_local()
    return select(Invoice).where(*_overdue(today, grace_days)).order_by(Invoice.due_on, Invoice.id)


def overdue_summary(today=None):
    """(count, sum of what is still due) of overdue invoices: the list's own rule, counted."""
    today = today or today_local()
    count, remaining = db.session.execute(
        select(
            func.count(Invoice.id),
            func.coalesce(func.sum(Invoice.amount_cents - Invoice.paid_cents), 0),
        ).where(*_overdue(today, 0))
    ).one()
    return count, int(remaining)


def invoices_of(member):
    """The member's invoices, newest first (payments load with them)."""
    return db.session.scalars(
        select(Invoice).where(Invoice.member_id == member.id).order_by(Invoice.id.desc())
    ).all()


def statement(member):
    """The member's invoices and payments with totals: (invoices, invoiced, paid, balance)."""
    invoices = invoices_of(member)
    counted = [i for i in invoices if i.status != "void"]
    invoiced = sum(i.amount_cents for i in counted)
    paid = sum(i.paid_cents for i in counted)
    return invoices, invoiced, paid, invoiced - paid
