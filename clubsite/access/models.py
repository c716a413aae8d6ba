"""The check-in log: every attempt at the door, kept 30 days."""

from clubsite.database import utcnow
from clubsite.extensions import db

REASONS = (
    "allowed",
    "unknown_card",
    "no_membership",
    "not_started",
    "expired",
    "unpaid",
    "paused",
)


class CheckIn(db.Model):
    """One check-in attempt (apmeklējuma reģistrēšana). Holds no card number: only the outcome."""

    id = db.Column(db.Integer, primary_key=True)
    # Unknown cards have no member; an erased member's entries go with them.
    member_id = db.Column(db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), index=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    allowed = db.Column(db.Boolean, nullable=False)
    reason = db.Column(db.String(16), nullable=False)
    location_id = db.Column(db.Integer, db.ForeignKey("location.id", ondelete="SET NULL"))
    staff_id = db.Column(db.String(36))  # who was at the desk (staff public id)

    # Reports: check-ins per site and hour, read from the index alone (clubsite.reports).
    __table_args__ = (db.Index("ix_check_in_site_at", "location_id", "at", "allowed"),)
