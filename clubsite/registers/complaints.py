"""The complaint register: complaints about how the club handles personal data."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.registers.models import COMPLAINT_CHANNELS, COMPLAINT_STATUSES, Complaint
from clubsite.registers.service import (
    RegisterError,
    check_choice,
    check_version,
    clean_long_text,
    clean_member_id,
    close_if_final,
    one_month_after,
    read_text,
    set_text,
)

OPEN_STATUSES = ("open", "in_progress")
FINAL_STATUSES = ("resolved", "rejected")


def reply_due(complaint):
    """The club answers a complaint within one month, like a request."""
    return one_month_after(complaint.received_at)


def _apply(complaint, data, now):
    received = data.get("received_at") or now
    if as_utc(received) > now + timedelta(minutes=5):
        raise RegisterError(_l("This date is in the future."), "received_at")
    complaint.received_at = received
    complaint.channel = check_choice(data.get("channel"), COMPLAINT_CHANNELS, "channel")
    complaint.member_public_id = clean_member_id(data.get("member_public_id"))
    complaint.status = check_choice(data.get("status") or "open", COMPLAINT_STATUSES, "status")
    set_text(complaint, "summary", clean_long_text(data.get("summary"), "summary", required=True))
    set_text(complaint, "outcome", clean_long_text(data.get("outcome"), "outcome"))
    if complaint.status in FINAL_STATUSES and not read_text(complaint, "outcome"):
        raise RegisterError(_l("Say what the club answered or did before closing."), "outcome")
    close_if_final(complaint, FINAL_STATUSES, now)


def record_complaint(data, *, now=None, actor=None):
    """Record a complaint as it arrives."""
    complaint = Complaint()
    _apply(complaint, data, now or utcnow())
    db.session.add(complaint)
    audit.record(
        "register.complaint_recorded",
        subject=complaint.member_public_id,
        fields=["summary", "outcome"],
        detail=complaint.public_id,
        actor=as_actor(actor),
    )
    return complaint


def update_complaint(complaint, data, *, version, now=None, actor=None):
    """Update a complaint (optimistic locking): status and outcome."""
    check_version(complaint, version)
    _apply(complaint, data, now or utcnow())
    audit.record(
        "register.complaint_updated",
        subject=complaint.member_public_id,
        fields=["summary", "outcome"],
        detail=complaint.public_id,
        actor=as_actor(actor),
    )
    return complaint


def is_overdue(complaint, now=None):
    """True for an open complaint not answered within a month."""
    return complaint.status in OPEN_STATUSES and reply_due(complaint) < (now or utcnow())


def open_complaints():
    """Complaints still being handled, the oldest first."""
    query = select(Complaint).where(Complaint.status.in_(OPEN_STATUSES))
    return db.session.scalars(query.order_by(Complaint.received_at)).all()


def list_complaints():
    """Every complaint, the newest first."""
    return db.session.scalars(select(Complaint).order_by(Complaint.received_at.desc())).all()
