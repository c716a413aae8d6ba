"""CSV for the bookkeeper's accounting program: invoices or payments of a date range.

Semicolon-separated with decimal commas and a UTF-8 byte order mark, as spreadsheets in a
Latvian locale expect; dates in ISO form. Every cell goes through safe_cell.
"""

import csv
import io

from sqlalchemy import select

from clubsite.csvsafe import safe_cell
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.fees.invoices import buyer_details
from clubsite.fees.models import Invoice, Payment
from clubsite.fees.money import cents_to_text
from clubsite.privacy import audit

INVOICE_COLUMNS = [
    "number",
    "issued_on",
    "due_on",
    "period_start",
    "period_end",
    "description",
    "buyer_name",
    "buyer_personal_code",
    "buyer_address",
    "amount",
    "paid",
    "status",
]
PAYMENT_COLUMNS = ["invoice_number", "paid_on", "amount", "method", "buyer_name"]
BUYER_FIELDS = ["buyer_name", "buyer_personal_code", "buyer_address"]


def _write(header, rows):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def invoices_csv(first_day, last_day, *, actor):
    """Invoices issued in the date range, with the buyer details printed on them."""
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.issued_on >= first_day, Invoice.issued_on <= last_day)
        .order_by(Invoice.number)
    ).all()
    rows = []
    for invoice in invoices:
        buyer = buyer_details(invoice)
        rows.append(
            [
                invoice.number,
                invoice.issued_on.isoformat(),
                invoice.due_on.isoformat(),
                invoice.period_start.isoformat(),
                invoice.period_end.isoformat(),
                invoice.description,
                *(buyer.get(column, "") for column in BUYER_FIELDS),
                cents_to_text(invoice.amount_cents),
                cents_to_text(invoice.paid_cents),
                invoice.status,
            ]
        )
    audit.record(
        "fees.export_invoices",
        fields=BUYER_FIELDS,
        detail=f"rows={len(rows)}",
        actor=as_actor(actor),
    )
    return _write(INVOICE_COLUMNS, rows)


def payments_csv(first_day, last_day, *, actor):
    """Payments made in the date range, with the invoice they paid."""
    payments = db.session.scalars(
        select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.paid_on >= first_day, Payment.paid_on <= last_day)
        .order_by(Payment.paid_on, Payment.id)
    ).all()
    rows = [
        [
            payment.invoice.number,
            payment.paid_on.isoformat(),
            cents_to_text(payment.amount_cents),
            payment.method,
            buyer_details(payment.invoice).get("buyer_name", ""),
        ]
        for payment in payments
    ]
    audit.record(
        "fees.export_payments",
        fields=["buyer_name"],
        detail=f"rows={len(rows)}",
        actor=as_actor(actor),
    )
    return _write(PAYMENT_COLUMNS, rows)
