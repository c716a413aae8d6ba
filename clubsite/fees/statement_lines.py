"""Statement lines nobody could match: the accountant's list, assigning one to an invoice by
hand or dismissing it, suggestions by amount and name, and how long the details stay.

An unmatched line keeps the payer's name and reference (encrypted) only until it is assigned or
dismissed, and at most STATEMENT_UNMATCHED_DAYS; then they are erased and only the date, the
amount and the key stay, until the end of the legal period of the payments they record.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.fees.bank_models import LINE_DETAIL_COLUMNS, StatementImport, StatementLine
from clubsite.fees.invoices import record_payment
from clubsite.fees.models import Invoice
from clubsite.fees.terms import FeesError, check_version
from clubsite.i18n import to_local
from clubsite.privacy import audit
from clubsite.privacy.crypto import decrypt_field, encrypt_field

TABLE = "statement_line"
CHUNK = 500
PAGE = 200


def write_details(row, payer_name, reference):
    """Encrypt a line's payer name and reference into its row (a dict or a StatementLine)."""
    ring = current_app.config["KEY_RING"]
    public_id = row["public_id"] if isinstance(row, dict) else row.public_id
    for column, text in (("payer_name", payer_name), ("reference", reference)):
        blob = None
        if text:
            blob = encrypt_field(ring, text, table=TABLE, column=column, row_id=public_id)
        if isinstance(row, dict):
            row[f"{column}_enc"] = blob
        else:
            setattr(row, f"{column}_enc", blob)


def read_details(line):
    """{payer_name, reference} of a line, as far as they are still kept."""
    ring = current_app.config["KEY_RING"]
    values = {}
    for column in LINE_DETAIL_COLUMNS:
        blob = getattr(line, f"{column}_enc")
        values[column] = (
            decrypt_field(ring, blob, table=TABLE, column=column, row_id=line.public_id)
            if blob is not None
            else ""
        )
    return values


@dataclass
class UnmatchedRow:
    """One unmatched line as the accountant's list shows it."""

    line: StatementLine
    payer_name: str
    reference: str
    suggestion: Invoice | None


def unmatched_lines(*, actor, limit=PAGE):
    """The oldest unmatched lines with their details and suggestion; the read is audited."""
    lines = db.session.scalars(
        select(StatementLine)
        .where(StatementLine.status == "unmatched")
        .order_by(StatementLine.booked_on, StatementLine.id)
        .limit(limit)
    ).all()
    suggestions = {
        i.id: i
        for i in db.session.scalars(
            select(Invoice).where(
                Invoice.id.in_(
                    [line.suggested_invoice_id for line in lines if line.suggested_invoice_id]
                )
            )
        )
    }
    rows = [
        UnmatchedRow(
            line, **read_details(line), suggestion=suggestions.get(line.suggested_invoice_id)
        )
        for line in lines
    ]
    if rows:
        audit.record(
            "fees.statement_lines_read",
            fields=list(LINE_DETAIL_COLUMNS),
            detail=f"rows={len(rows)}",
            actor=as_actor(actor),
        )
    return rows


def unmatched_count():
    """How many lines wait for the accountant."""
    return db.session.scalar(
        select(func.count(StatementLine.id)).where(StatementLine.status == "unmatched")
    )


def line_by_public_id(public_id):
    """The statement line with this public id, or None."""
    return db.session.scalar(
        select(StatementLine).where(StatementLine.public_id == (public_id or "")[:36])
    )


def _settle(line, status):
    line.status = status
    write_details(line, "", "")
    line.details_until = None


def assign_line(line, invoice_number, *, expected_version, actor):
    """Record an unmatched credit as a payment of the invoice the accountant names."""
    check_version(line, expected_version)
    if line.status != "unmatched":
        raise FeesError(_l("This line is already dealt with."))
    invoice = db.session.scalar(
        select(Invoice).where(Invoice.number == (invoice_number or "").strip()[:16])
    )
    if invoice is None:
        raise FeesError(_l("There is no invoice with this number."), "invoice")
    record_payment(
        invoice,
        line.amount_cents,
        "transfer",
        paid_on=line.booked_on,
        actor=actor,
        expected_version=invoice.version,
    )
    line.invoice_id = invoice.id
    _settle(line, "assigned")
    return invoice


def dismiss_line(line, *, expected_version, actor):
    """Say a credit is no fee (a donation, a refund): its details are erased."""
    check_version(line, expected_version)
    if line.status != "unmatched":
        raise FeesError(_l("This line is already dealt with."))
    _settle(line, "dismissed")
    audit.record("fees.statement_line_dismissed", detail=line.public_id, actor=as_actor(actor))


def expire_lines(now, dry_run):
    """Retention: erase unmatched lines' details after their days, and lines after the legal
    period (then imports left without lines)."""
    today = to_local(now).date()
    stale = select(StatementLine.id).where(StatementLine.details_until < today)
    old = select(StatementLine.id).where(StatementLine.keep_until < today)
    count = db.session.scalar(select(func.count()).select_from(stale.subquery()))
    count += db.session.scalar(select(func.count()).select_from(old.subquery()))
    if count and not dry_run:
        db.session.execute(
            update(StatementLine)
            .where(StatementLine.details_until < today)
            .values(payer_name_enc=None, reference_enc=None, details_until=None)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(StatementLine)
            .where(StatementLine.keep_until < today)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(StatementImport)
            .where(
                ~select(StatementLine.id)
                .where(StatementLine.import_id == StatementImport.id)
                .exists()
            )
            .where(StatementImport.imported_at < now - timedelta(days=6 * 366))
            .execution_options(synchronize_session=False)
        )
    return count
