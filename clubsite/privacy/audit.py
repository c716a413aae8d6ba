"""The audit log: who did what to which member's which fields, chained by hash so gaps show."""

import hashlib
import json

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db

GENESIS = "0" * 64


class AuditEvent(db.Model):
    """One audited action. Holds field names, never values."""

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_type = db.Column(db.String(16), nullable=False)  # staff, member, system
    actor_id = db.Column(db.String(36))  # staff public id, member public id, or None
    action = db.Column(db.String(64), nullable=False, index=True)
    subject_id = db.Column(db.String(36), index=True)  # member (or staff) public id
    fields = db.Column(db.String(500), nullable=False, default="")
    detail = db.Column(db.String(200), nullable=False, default="")  # a reason code, never data
    prev_hash = db.Column(db.String(64), nullable=False)
    hash = db.Column(db.String(64), nullable=False, unique=True)

    def canonical(self):
        """The hashed content of this event, in a fixed form."""
        return json.dumps(
            [
                as_utc(self.at).isoformat(),
                self.actor_type,
                self.actor_id,
                self.action,
                self.subject_id,
                self.fields,
                self.detail,
                self.prev_hash,
            ],
            separators=(",", ":"),
        )

    def compute_hash(self):
        """SHA-256 over the canonical content."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class AuditHead(db.Model):
    """A single row holding the newest hash; locking it orders concurrent writers."""

    id = db.Column(db.Integer, primary_key=True)
    hash = db.Column(db.String(64), nullable=False)


def _current_actor():
    """The logged-in staff member, if any, as (type, public id)."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return "staff", current_user.public_id
    return "system", None


def record(action, *, subject=None, fields=(), detail="", actor=None):
    """Append an event in the current transaction; the caller commits with its own change.

    actor is ("member", public_id), ("staff", public_id) or ("system", None); default: the
    logged-in staff member, else the system.
    """
    actor_type, actor_id = actor or _current_actor()
    head = db.session.execute(select(AuditHead).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, hash=GENESIS)
        db.session.add(head)
    event = AuditEvent(
        at=utcnow().replace(microsecond=0),
        actor_type=actor_type,
        actor_id=actor_id,
        action=action,
        subject_id=subject,
        fields=",".join(sorted(fields)),
        detail=detail[:200],
        prev_hash=head.hash,
    )
    event.hash = event.compute_hash()
    head.hash = event.hash
    db.session.add(event)
    return event


def verify_chain():
    """Walk the log in order; return the id of the first broken event, or None if intact."""
    expected_prev = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.prev_hash != expected_prev or event.compute_hash() != event.hash:
            return event.id
        expected_prev = event.hash
    head = db.session.get(AuditHead, 1)
    if head is not None and head.hash != expected_prev:
        return -1
    return None
