"""Plans, memberships, invoices, payments and the invoice number counter.

Money is integer cents. An invoice keeps its own encrypted copy of the buyer's legally required
details, so it survives the member's erasure for its legal period (accounting law: 5 years after
the end of its financial year).
"""

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.privacy.keys import register_encrypted

PERIODS = ("month", "quarter", "year")
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# active: renews; ended: staff stopped it; lapsed: neither paid nor agreed past the plan's grace.
MEMBERSHIP_STATUSES = ("active", "ended", "lapsed")
DEFAULT_GRACE_DAYS = 14  # a plan's grace after the last paid or agreed day (clubsite.fees.lapse)
INVOICE_STATUSES = ("open", "paid", "void")
PAYMENT_METHODS = ("cash", "card", "transfer")
# Recorded from a bank statement's credit for a direct debit (never typed in by hand).
COLLECTION_METHOD = "sepa_dd"
# A direct debit of an invoice: in a file for the bank, the money arrived, or it came back.
COLLECTION_STATUSES = ("sent", "collected", "returned")
PAUSE_REASONS = ("personal", "travel", "club", "other")  # no free text: no health data here
# Buyer details copied onto an invoice (encrypted columns <name>_enc).
BUYER_COLUMNS = ("buyer_name", "buyer_personal_code", "buyer_address")


class Plan(db.Model):
    """A membership plan (abonementa veids): a price per period."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    name = db.Column(db.String(80), nullable=False, unique=True)
    price_cents = db.Column(db.Integer, nullable=False)
    period = db.Column(db.String(8), nullable=False, default="month")
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Days a membership stays after its last paid or agreed day before it lapses.
    grace_days = db.Column(
        db.Integer,
        nullable=False,
        default=DEFAULT_GRACE_DAYS,
        server_default=str(DEFAULT_GRACE_DAYS),
    )
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.CheckConstraint("price_cents > 0", name="price_positive"),)


class Membership(db.Model):
    """A member's membership (abonements) on a plan, valid from starts_on through ends_on.

    An active membership renews: each generated invoice extends ends_on by one period. An ended
    one stays valid through ends_on and is not invoiced again; so does a lapsed one, which was
    neither paid nor agreed beyond its plan's grace (clubsite.fees.lapse).
    """

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    # Goes with the member: only invoices outlive an erasure.
    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
    )
    plan_id = db.Column(db.Integer, db.ForeignKey("plan.id"), nullable=False)  # see below
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)  # valid until (inclusive): invoiced through
    # Valid until, as agreed by staff whatever the invoices say (a free month, a payment plan).
    agreed_until = db.Column(db.Date)
    # After a pause, billing periods count from this day (the day after the moved valid-until).
    billing_anchor = db.Column(db.Date)
    status = db.Column(db.String(8), nullable=False, default="active", index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    ended_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    plan = db.relationship("Plan", lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    # Members per plan valid today (reports) and a segment's plan (newsletter), from the index
    # alone; it also serves the foreign key's lookups by plan.
    __table_args__ = (
        db.Index("ix_membership_plan_member", "plan_id", "member_id", "starts_on", "ends_on"),
    )


class InvoiceCounter(db.Model):
    """The last invoice number issued per year; its row is locked while a number is taken."""

    year = db.Column(db.Integer, primary_key=True, autoincrement=False)
    last_number = db.Column(db.Integer, nullable=False, default=0)


class Invoice(db.Model):
    """An invoice (rēķins). Detached, not deleted, when its member is erased."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    number = db.Column(db.String(16), nullable=False, unique=True)
    member_id = db.Column(db.Integer, db.ForeignKey("member.id", ondelete="SET NULL"), index=True)
    membership_id = db.Column(  # indexed: ix_invoice_membership_status_end
        db.Integer, db.ForeignKey("membership.id", ondelete="SET NULL")
    )
    description = db.Column(db.String(120), nullable=False)  # the plan's name at issue time
    issued_on = db.Column(db.Date, nullable=False)  # reports: ix_invoice_issued_report
    period_start = db.Column(db.Date, nullable=False)
    period_end = db.Column(db.Date, nullable=False)
    due_on = db.Column(db.Date, nullable=False, index=True)
    amount_cents = db.Column(db.Integer, nullable=False)
    paid_cents = db.Column(db.Integer, nullable=False, default=0)
    status = db.Column(db.String(8), nullable=False, default="open", index=True)
    keep_until = db.Column(db.Date, nullable=False, index=True)  # legal retention
    # Direct debit (clubsite.fees.sepa): sent in a file, collected, or returned by the bank.
    collection_status = db.Column(db.String(9), index=True)
    collection_sequence = db.Column(db.String(4))  # FRST or RCUR, as sent
    collection_batch_id = db.Column(
        db.Integer, db.ForeignKey("sepa_batch.id", ondelete="SET NULL"), index=True
    )
    buyer_name_enc = db.Column(db.LargeBinary)
    buyer_personal_code_enc = db.Column(db.LargeBinary)
    buyer_address_enc = db.Column(db.LargeBinary)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    version = db.Column(db.Integer, nullable=False, default=1)

    payments = db.relationship(
        "Payment",
        back_populates="invoice",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="Payment.id",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Idempotent generation: one invoice per membership and period.
        db.UniqueConstraint("membership_id", "period_start"),
        # The lapse's daily "paid through the cutoff?" per membership, from the index alone.
        db.Index("ix_invoice_membership_status_end", "membership_id", "status", "period_end"),
        db.CheckConstraint("amount_cents > 0", name="amount_positive"),
        # Reports: invoiced per month, read from the index alone (clubsite.reports.fees).
        db.Index("ix_invoice_issued_report", "issued_on", "status", "amount_cents"),
    )

    @property
    def remaining_cents(self):
        """What is still to be paid."""
        return max(self.amount_cents - self.paid_cents, 0)


class Payment(db.Model):
    """A payment (maksājums) towards one invoice; partial payments add up."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    invoice_id = db.Column(
        db.Integer, db.ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False, index=True
    )
    amount_cents = db.Column(db.Integer, nullable=False)
    method = db.Column(db.String(10), nullable=False)
    paid_on = db.Column(db.Date, nullable=False)  # reports: ix_payment_paid_report
    recorded_by = db.Column(db.String(36), nullable=False)  # staff public id
    recorded_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # A direct debit the debtor's bank sent back: the payment stays on record but counts no more.
    returned_on = db.Column(db.Date)

    invoice = db.relationship("Invoice", back_populates="payments")

    __table_args__ = (
        db.CheckConstraint("amount_cents > 0", name="amount_positive"),
        # Reports: paid per month and channel, read from the index alone (clubsite.reports.fees).
        db.Index("ix_payment_paid_report", "paid_on", "method", "returned_on", "amount_cents"),
    )


class MembershipPause(db.Model):
    """A pause (freeze) of a membership: no entry on its days; the paid term moves on by them."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    membership_id = db.Column(
        db.Integer, db.ForeignKey("membership.id", ondelete="CASCADE"), nullable=False, index=True
    )
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)  # inclusive
    reason = db.Column(db.String(8), nullable=False)  # one of PAUSE_REASONS
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    created_by = db.Column(db.String(36), nullable=False)  # staff public id

    __table_args__ = (db.CheckConstraint("ends_on >= starts_on", name="pause_order"),)

    @property
    def days(self):
        """How many days the pause lasts."""
        return (self.ends_on - self.starts_on).days + 1


register_encrypted(Invoice, "invoice", {f"{column}_enc": column for column in BUYER_COLUMNS})
