"""Bank statements matched to invoices: each incoming credit pays the invoice whose number is in
its reference (or a whole collection file's invoices); a returned direct debit reopens its
invoice; what cannot be matched waits for the accountant, with a suggestion found by amount and
name.

Every line that concerns fees is kept under a keyed hash of what identifies it (the bank's own
reference where there is one), so importing the same statement again, or an overlapping one,
records nothing twice. Outgoing payments are not fees and are not kept. An unmatched line keeps
its payer's name and reference, encrypted, for STATEMENT_UNMATCHED_DAYS (clubsite.fees.
statement_lines); a matched one keeps neither. Changes the session only; the caller commits.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from clubsite.database import new_public_id
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.fees import statement_rows
from clubsite.fees.bank_models import SepaBatch, StatementImport, StatementLine
from clubsite.fees.invoices import legal_keep_until
from clubsite.fees.models import COLLECTION_METHOD
from clubsite.fees.statement_lines import write_details
from clubsite.i18n import today_local
from clubsite.privacy import audit
from clubsite.privacy.crypto import blind_index
from clubsite.privacy.normalize import fold_text

INVOICE_NUMBER = re.compile(r"(?<!\d)(20\d{2})\s?[-–/]?\s?(\d{6})(?!\d)")
CHUNK = 500
RECENT_BATCHES = 50


def invoice_numbers(*texts):
    """Invoice numbers (2026-000123) written in texts, in order, each once."""
    found = []
    for text in texts:
        for year, serial in INVOICE_NUMBER.findall(text or ""):
            number = f"{year}-{serial}"
            if number not in found:
                found.append(number)
    return found


@dataclass
class _Work:
    """What one import collects before it is written."""

    today: object
    invoices: dict  # number -> InvoiceRow
    payments: list = field(default_factory=list)  # dicts for Payment (with "invoice")
    returned_payments: list = field(default_factory=list)  # ids of payments sent back
    lines: list = field(default_factory=list)  # dicts for StatementLine
    suggested: dict = field(default_factory=dict)  # line key -> InvoiceRow its reference names
    batches: list | None = None  # recent collection files, read when first needed
    counts: Counter = field(default_factory=Counter)


def line_keys(statement):
    """The keyed hash of each line, equal for the same movement in any file of the account."""
    ring = current_app.config["KEY_RING"]
    seen, keys = Counter(), []
    for line in statement.lines:
        if line.bank_ref:
            identity = f"{statement.account}|{line.bank_ref}"
        else:
            parts = (line.booked_on, line.amount_cents, line.credit, line.end_to_end)
            identity = "|".join(map(str, (statement.account, *parts, line.reference)))
            identity += f"|{line.payer_name}"
        seen[identity] += 1
        keys.append(blind_index(ring, "statement_line", f"{identity}|{seen[identity]}").hex())
    return keys


def _existing_keys(keys):
    found = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found.update(
            db.session.scalars(
                select(StatementLine.line_key).where(StatementLine.line_key.in_(chunk))
            )
        )
    return found


def import_statement(statement, *, actor, today=None):
    """Record what a parsed statement says about fees; returns its StatementImport (counts)."""
    today = today or today_local()
    actor = as_actor(actor)
    keys = line_keys(statement)
    existing = _existing_keys(keys)
    fresh = [(k, line) for k, line in zip(keys, statement.lines, strict=True) if k not in existing]
    numbers = {n for _k, line in fresh for n in invoice_numbers(line.end_to_end, line.reference)}
    work = _Work(today=today, invoices=statement_rows.by_numbers(numbers))
    work.counts["duplicates"] = len(statement.lines) - len(fresh)
    work.counts["ignored"] = statement.ignored
    unmatched = []
    for key, line in fresh:
        if line.credit:
            if not _match_credit(work, key, line):
                unmatched.append((key, line))
        elif not _match_return(work, key, line):
            work.counts["ignored"] += 1
    _add_unmatched(work, unmatched)
    return _write(work, statement, actor)


def _line(work, key, line, status, invoice=None, **extra):
    row = {
        "public_id": new_public_id(),
        "line_key": key,
        "booked_on": line.booked_on,
        "amount_cents": line.amount_cents,
        "status": status,
        "invoice_id": invoice.id if invoice is not None else None,
        "suggested_invoice_id": None,
        "details_until": None,
        "payer_name_enc": None,
        "reference_enc": None,
        "keep_until": legal_keep_until(line.booked_on),
        "version": 1,
        **extra,
    }
    work.lines.append(row)
    work.counts[status] += 1
    return row


def _pay(work, invoice, cents, line, *, collected=None):
    """Pay an invoice from a line; a credit for an invoice sent for collection collects it."""
    if collected is None:
        collected = invoice.collection_status == "sent" and line.end_to_end == invoice.number
    method = COLLECTION_METHOD if collected else "transfer"
    work.payments.append(
        {"invoice": invoice, "amount_cents": cents, "method": method, "paid_on": line.booked_on}
    )
    invoice.paid_cents += cents
    if invoice.paid_cents >= invoice.amount_cents:
        invoice.status = "paid"
    if collected:
        invoice.collection_status = "collected"
    invoice.keep_until = legal_keep_until(invoice.issued_on, line.booked_on)
    invoice.changed = True


def _match_credit(work, key, line):
    """Pay the invoice(s) the credit names, or a whole collection; False if it cannot."""
    named = [work.invoices.get(n) for n in invoice_numbers(line.end_to_end, line.reference)]
    named = [i for i in named if i is not None and i.status != "void"]
    open_ones = [i for i in named if i.status == "open"]
    if len(named) == 1 and open_ones and line.amount_cents <= open_ones[0].remaining_cents:
        _pay(work, open_ones[0], line.amount_cents, line)
        _line(work, key, line, "matched", open_ones[0])
        return True
    several = len(named) > 1 and len(open_ones) == len(named)
    if several and line.amount_cents == sum(i.remaining_cents for i in open_ones):
        for invoice in open_ones:
            _pay(work, invoice, invoice.remaining_cents, line)
        _line(work, key, line, "matched", open_ones[0])
        return True
    if named:
        work.suggested[key] = named[0]
        return False
    return _match_collection(work, key, line)


def _match_collection(work, key, line):
    """A collection booked as one credit: its file's id in the reference, its total paid."""
    text = f"{line.reference} {line.end_to_end}"
    if work.batches is None:  # read once per import, and only if a line may need them
        work.batches = db.session.scalars(
            select(SepaBatch).order_by(SepaBatch.id.desc()).limit(RECENT_BATCHES)
        ).all()
    for batch in work.batches:
        ids = [batch.message_id, *filter(None, batch.payment_info_ids.split(","))]
        if not any(i in text for i in ids):
            continue
        rows = [
            work.invoices.setdefault(r.number, r) for r in statement_rows.in_collection(batch.id)
        ]
        rows = [r for r in rows if r.collection_status == "sent"]
        if rows and sum(r.remaining_cents for r in rows) == line.amount_cents:
            for invoice in rows:
                _pay(work, invoice, invoice.remaining_cents, line, collected=True)
            _line(work, key, line, "matched")
            return True
    return False


def _match_return(work, key, line):
    """A direct debit sent back: reopen its invoice; False for any other outgoing payment."""
    numbers = invoice_numbers(line.end_to_end) or (
        invoice_numbers(line.reference) if line.returned else []
    )
    invoice = work.invoices.get(numbers[0]) if numbers else None
    if invoice is None or invoice.collection_status not in ("sent", "collected"):
        return False
    if invoice.collection_status == "collected":
        if not _undo_collection(work, invoice, line):
            return False
        invoice.paid_cents -= line.amount_cents
        invoice.status = "open"
    invoice.collection_status = "returned"
    invoice.changed = True
    _line(work, key, line, "returned", invoice)
    return True


def _undo_collection(work, invoice, line):
    """Mark the collection's payment (recorded before, or in this import) as returned."""
    for pending in work.payments:
        if (
            pending["invoice"] is invoice
            and pending["method"] == COLLECTION_METHOD
            and pending["amount_cents"] == line.amount_cents
            and "returned_on" not in pending
        ):
            pending["returned_on"] = line.booked_on
            return True
    payment_id = statement_rows.collected_payment(invoice.id, line.amount_cents)
    if payment_id is None or payment_id in work.returned_payments:
        return False
    work.returned_payments.append(payment_id)
    return True


def _name_keys(name):
    words = fold_text(name or "").split()
    return {" ".join(words), " ".join(reversed(words))} if words else set()


def _suggestions(work, lines):
    """{line key: invoice id} where exactly one open invoice has the line's amount still due
    and its buyer the payer's name (in either order, case and diacritics aside)."""
    wanted = [(k, line) for k, line in lines if k not in work.suggested and line.payer_name]
    settled = {row.id for row in work.invoices.values() if row.status != "open"}
    amounts = {line.amount_cents for _k, line in wanted}
    index = {}
    for invoice_id, cents, name in statement_rows.open_buyers(amounts, exclude=settled):
        for name_key in _name_keys(name):
            index.setdefault((cents, name_key), set()).add(invoice_id)
    found = {}
    for key, line in wanted:
        candidates = set().union(
            *(index.get((line.amount_cents, n), set()) for n in _name_keys(line.payer_name))
        )
        if len(candidates) == 1:
            found[key] = candidates.pop()
    return found


def _add_unmatched(work, unmatched):
    """Keep what the accountant needs to assign each by hand, with a suggestion if one fits."""
    if not unmatched:
        return
    suggestions = _suggestions(work, unmatched)
    until = work.today + timedelta(days=int(current_app.config["STATEMENT_UNMATCHED_DAYS"]))
    for key, line in unmatched:
        named = work.suggested.get(key)
        row = _line(
            work,
            key,
            line,
            "unmatched",
            suggested_invoice_id=named.id if named is not None else suggestions.get(key),
            details_until=until,
        )
        write_details(row, line.payer_name, line.reference)


def _write(work, statement, actor):
    """Insert the import, its lines and payments, update the invoices; audit per member paid."""
    record = StatementImport(
        format=statement.format,
        account=statement.account[:34],
        statement_ref=statement.statement_ref[:80],
        imported_by=actor.id or actor.kind,
        lines=len(statement.lines) + statement.ignored,
        **{k: work.counts[k] for k in ("matched", "unmatched", "returned", "duplicates")},
        ignored=work.counts["ignored"],
    )
    db.session.add(record)
    db.session.flush()
    statement_rows.write_back(work.invoices.values())
    statement_rows.mark_returned(work.returned_payments, work.today)
    if work.lines:
        for row in work.lines:
            row["import_id"] = record.id
        db.session.execute(StatementLine.__table__.insert(), work.lines)  # Core: executemany
    if work.payments:
        statement_rows.insert_payments(work.payments, actor)
    audit.record(
        "fees.statement_imported",
        detail=(
            f"{record.public_id}:matched={record.matched}:returned={record.returned}"
            f":unmatched={record.unmatched}:payments={len(work.payments)}"
        ),
        actor=actor,
    )
    return record
