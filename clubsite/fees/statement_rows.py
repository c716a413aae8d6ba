"""Invoices as plain rows for a statement import: loaded by number or by collection file
(locked until the transaction ends on PostgreSQL; SQLite's write lock already holds), changed
in memory, and written back in one executemany with each row's version checked, so an import
of 10,000 lines is a handful of statements instead of 10,000 ORM updates."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import bindparam, select, update

from clubsite.database import new_public_id, utcnow
from clubsite.domain import Stale
from clubsite.extensions import db
from clubsite.fees.models import COLLECTION_METHOD, Invoice, Payment
from clubsite.privacy.crypto import decrypt_field

CHUNK = 500


@dataclass(eq=False)
class InvoiceRow:
    """What matching reads and changes of an invoice."""

    id: int
    public_id: str
    number: str
    member_id: int | None
    amount_cents: int
    paid_cents: int
    status: str
    collection_status: str | None
    issued_on: date
    keep_until: date
    version: int
    changed: bool = False

    @property
    def remaining_cents(self):
        """What is still to be paid."""
        return max(self.amount_cents - self.paid_cents, 0)


COLUMNS = (
    Invoice.id,
    Invoice.public_id,
    Invoice.number,
    Invoice.member_id,
    Invoice.amount_cents,
    Invoice.paid_cents,
    Invoice.status,
    Invoice.collection_status,
    Invoice.issued_on,
    Invoice.keep_until,
    Invoice.version,
)


def _select(*conditions):
    query = select(*COLUMNS).where(*conditions).order_by(Invoice.id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Invoice)
    return [InvoiceRow(*row) for row in db.session.execute(query)]


def by_numbers(numbers):
    """{number: InvoiceRow} of the invoices with these numbers."""
    found, numbers = {}, sorted(numbers)
    for start in range(0, len(numbers), CHUNK):
        for row in _select(Invoice.number.in_(numbers[start : start + CHUNK])):
            found[row.number] = row
    return found


def in_collection(batch_id):
    """The invoices of a collection file still waiting for their money."""
    return _select(Invoice.collection_batch_id == batch_id, Invoice.collection_status == "sent")


def open_buyers(amounts, *, exclude=()):
    """[(invoice id, cents still due, buyer name)] of open invoices with one of these sums due
    (but those in exclude: paid by this very import)."""
    ring = current_app.config["KEY_RING"]
    amounts, found = sorted(amounts), []
    due = Invoice.amount_cents - Invoice.paid_cents
    for start in range(0, len(amounts), CHUNK):
        rows = db.session.execute(
            select(Invoice.id, Invoice.public_id, due, Invoice.buyer_name_enc).where(
                Invoice.status == "open", due.in_(amounts[start : start + CHUNK])
            )
        )
        for invoice_id, public_id, cents, blob in rows:
            if blob is not None and invoice_id not in exclude:
                name = decrypt_field(
                    ring, blob, table="invoice", column="buyer_name", row_id=public_id
                )
                found.append((invoice_id, cents, name))
    return found


def collected_payment(invoice_id, cents):
    """The id of the direct-debit payment of this sum on the invoice not yet returned, or None."""
    return db.session.scalar(
        select(Payment.id)
        .where(
            Payment.invoice_id == invoice_id,
            Payment.method == COLLECTION_METHOD,
            Payment.returned_on.is_(None),
            Payment.amount_cents == cents,
        )
        .order_by(Payment.id)
        .limit(1)
    )


def mark_returned(payment_ids, day):
    """The bank sent these collections back on the day: they count no more."""
    if payment_ids:
        db.session.execute(
            update(Payment)
            .where(Payment.id.in_(payment_ids))
            .values(returned_on=day)
            .execution_options(synchronize_session=False)
        )


def write_back(rows):
    """Write the changed rows in one executemany; Stale if any changed meanwhile."""
    changed = [row for row in rows if row.changed]
    if not changed:
        return 0
    table = Invoice.__table__
    statement = (
        table.update()
        .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("old_version"))
        .values(
            paid_cents=bindparam("new_paid"),
            status=bindparam("new_status"),
            collection_status=bindparam("new_collection"),
            keep_until=bindparam("new_keep"),
            version=bindparam("new_version"),
        )
    )
    result = db.session.execute(
        statement,
        [
            {
                "row_id": row.id,
                "old_version": row.version,
                "new_paid": row.paid_cents,
                "new_status": row.status,
                "new_collection": row.collection_status,
                "new_keep": row.keep_until,
                "new_version": row.version + 1,
            }
            for row in changed
        ],
    )
    dialect = db.session.get_bind().dialect
    if dialect.supports_sane_multi_rowcount and result.rowcount != len(changed):
        raise Stale()
    return len(changed)


def insert_payments(payments, actor):
    """Insert the import's payments in one executemany (the import's one event audits them)."""
    now, by = utcnow(), actor.id or actor.kind
    db.session.execute(
        Payment.__table__.insert(),  # Core: one executemany, no ORM bookkeeping
        [
            {
                "public_id": new_public_id(),
                "invoice_id": p["invoice"].id,
                "amount_cents": p["amount_cents"],
                "method": p["method"],
                "paid_on": p["paid_on"],
                "returned_on": p.get("returned_on"),
                "recorded_by": by,
                "recorded_at": now,
            }
            for p in payments
        ],
    )
