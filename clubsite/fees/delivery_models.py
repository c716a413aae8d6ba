"""How an invoice reaches its member: mailed or left at the desk, and the reminders sent.

One delivery row per invoice that was sent (clubsite.fees.mailing): by email to the address the
member gave for fee administration, or, without one, kept for the member at the desk until
reception hands it over. One reminder row per overdue reminder sent. Both go with their invoice
(CASCADE): they hold no personal data, only the channel, times and the staff member's public id.
"""

from clubsite.database import utcnow
from clubsite.extensions import db

CHANNELS = ("email", "desk")


class InvoiceDelivery(db.Model):
    """How one invoice was delivered: queued as a mail, or waiting at the desk (handed over)."""

    __tablename__ = "invoice_delivery"

    invoice_id = db.Column(
        db.Integer, db.ForeignKey("invoice.id", ondelete="CASCADE"), primary_key=True
    )
    channel = db.Column(db.String(5), nullable=False)  # one of CHANNELS
    delivered_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    handed_over_at = db.Column(db.DateTime(timezone=True))  # desk: when reception gave it
    handed_over_by = db.Column(db.String(36))  # desk: the staff member's public id

    # The desk list: invoices at the desk not yet handed over.
    __table_args__ = (db.Index("ix_invoice_delivery_desk", "channel", "handed_over_at"),)


class InvoiceReminder(db.Model):
    """An overdue reminder sent for an invoice: which step of the schedule, and when."""

    __tablename__ = "invoice_reminder"

    id = db.Column(db.Integer, primary_key=True)
    invoice_id = db.Column(
        db.Integer, db.ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False
    )
    step = db.Column(db.Integer, nullable=False)  # 1: the first day of the schedule, 2: ...
    days_overdue = db.Column(db.Integer, nullable=False)  # the schedule's day it was sent for
    sent_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("invoice_id", "step"),)
