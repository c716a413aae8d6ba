"""The bank side of fees: direct-debit mandates, the collection files sent to the bank, and the
bank statements read back (clubsite.fees.mandates, .sepa, .statements).

A mandate goes with its member (erased with them); the debtor's IBAN is the member's own field
of the fees purpose. A statement line keeps its payer's name and reference (encrypted) only
while the accountant may still need them to assign it by hand; its key (a keyed hash) and
amount stay for the legal period, so the same statement imported again records nothing twice.
"""

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.privacy.keys import register_encrypted

MANDATE_STATUSES = ("active", "revoked")
SEQUENCES = ("FRST", "RCUR")  # first or recurring collection under the mandate
MANDATE_SOURCES = ("staff", "member")
STATEMENT_FORMATS = ("camt053", "fidavista")
# matched: paid an invoice on import; unmatched: for the accountant; assigned: by hand;
# dismissed: not a fee (the accountant said so); returned: a direct debit sent back.
LINE_STATUSES = ("matched", "unmatched", "assigned", "dismissed", "returned")
LINE_DETAIL_COLUMNS = ("payer_name", "reference")


class Mandate(db.Model):
    """A SEPA direct-debit mandate: the member's authorisation to collect their invoices."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reference = db.Column(db.String(35), nullable=False, unique=True)  # the mandate id (MndtId)
    signed_on = db.Column(db.Date, nullable=False)
    sequence = db.Column(db.String(4), nullable=False, default="FRST")
    status = db.Column(db.String(8), nullable=False, default="active", index=True)
    source = db.Column(db.String(8), nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    revoked_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class SepaBatch(db.Model):
    """One collection file (pain.008) written for the bank: what it asked for, not who."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    message_id = db.Column(db.String(35), nullable=False, unique=True)  # GrpHdr/MsgId
    payment_info_ids = db.Column(db.String(200), nullable=False, default="")  # PmtInfId, comma
    collection_date = db.Column(db.Date, nullable=False)
    count = db.Column(db.Integer, nullable=False)
    total_cents = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    created_by = db.Column(db.String(36), nullable=False)  # staff public id or "system"


class StatementImport(db.Model):
    """One bank statement file read in, with what came of its lines (counts only)."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    format = db.Column(db.String(10), nullable=False)
    account = db.Column(db.String(34), nullable=False, default="")  # the club's own IBAN
    statement_ref = db.Column(db.String(80), nullable=False, default="")
    imported_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    imported_by = db.Column(db.String(36), nullable=False)
    lines = db.Column(db.Integer, nullable=False, default=0)
    matched = db.Column(db.Integer, nullable=False, default=0)
    unmatched = db.Column(db.Integer, nullable=False, default=0)
    returned = db.Column(db.Integer, nullable=False, default=0)
    duplicates = db.Column(db.Integer, nullable=False, default=0)
    ignored = db.Column(db.Integer, nullable=False, default=0)  # outgoing payments: not fees


class StatementLine(db.Model):
    """A statement line that concerned fees (an incoming credit or a returned direct debit)."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    import_id = db.Column(
        db.Integer, db.ForeignKey("statement_import.id", ondelete="CASCADE"), index=True
    )
    line_key = db.Column(db.String(64), nullable=False, unique=True)
    booked_on = db.Column(db.Date, nullable=False)
    amount_cents = db.Column(db.Integer, nullable=False)
    status = db.Column(db.String(9), nullable=False, index=True)
    invoice_id = db.Column(db.Integer, db.ForeignKey("invoice.id", ondelete="SET NULL"), index=True)
    suggested_invoice_id = db.Column(db.Integer, db.ForeignKey("invoice.id", ondelete="SET NULL"))
    payer_name_enc = db.Column(db.LargeBinary)
    reference_enc = db.Column(db.LargeBinary)
    details_until = db.Column(db.Date, index=True)  # name and reference are erased after it
    keep_until = db.Column(db.Date, nullable=False, index=True)  # the line itself goes then
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


register_encrypted(
    StatementLine,
    "statement_line",
    {f"{column}_enc": column for column in LINE_DETAIL_COLUMNS},
)
