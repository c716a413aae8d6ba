"""The audit log: who did what to which member's which fields, chained by hash so gaps show."""

import hashlib
import json

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import insert, select

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
        return _canonical(vars(self))

    def compute_hash(self):
        """SHA-256 over the canonical content."""
        return _hash(vars(self))


HASHED = ("at", "actor_type", "actor_id", "action", "subject_id", "fields", "detail", "prev_hash")


def _canonical(values):
    """The hashed content of an event's values, in a fixed form."""
    items = [values[name] for name in HASHED]
    items[0] = as_utc(items[0]).isoformat()
    return json.dumps(items, separators=(",", ":"))


def _hash(values):
    return hashlib.sha256(_canonical(values).encode()).hexdigest()


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


def record_many(action, items, *, detail="", actor=None):
    """Append one event per (subject, field names) in a single insert, chained as record() does.

    For bulk work (an import of thousands of members), where one query per event would dominate.
    """
    actor_type, actor_id = actor or _current_actor()
    head = db.session.execute(select(AuditHead).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, hash=GENESIS)
        db.session.add(head)
    at = utcnow().replace(microsecond=0)
    rows, prev = [], head.hash
    for subject, fields in items:
        values = {
            "at": at, "actor_type": actor_type, "actor_id": actor_id, "action": action,
            "subject_id": subject, "fields": ",".join(sorted(fields)), "detail": detail[:200],
            "prev_hash": prev,
        }  # fmt: skip
        values["hash"] = prev = _hash(values)
        rows.append(values)
    if rows:
        db.session.execute(insert(AuditEvent), rows)
        head.hash = prev
        db.session.flush()
    return len(rows)


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
