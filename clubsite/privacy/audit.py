"""The audit log: who did what to which member's which fields, chained with a keyed hash.

Events are collected while an action runs and appended in one short step just before its
transaction commits (a `before_commit` hook), so the chain's head is locked only for the append,
never for the whole request. Each event's hash is HMAC-SHA256 under the audit key, which lives
outside the database (instance/audit_key or CLUBSITE_AUDIT_KEY): whoever can write to the database
but not read the key cannot delete, change or reorder an event and recompute the chain unseen.
"""

import hashlib
import hmac
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from json.encoder import encode_basestring_ascii as _json_str  # json.dumps of a str

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event, insert, select, update

from clubsite.database import as_utc, transactions_begin, utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.unit_of_work import PENDING_EVENTS as _PENDING

GENESIS = "0" * 64
# Why verify() stopped (Verification.reason); the back office shows each in the reader's language.
REASON_LINK = "missing or reordered event before this one"
REASON_HASH = "changed, or hashed without the audit key"
REASON_HEAD = "the head does not match the last event"
HASHED = ("at", "actor_type", "actor_id", "action", "subject_id", "fields", "detail", "prev_hash")


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
        return canonical({name: getattr(self, name) for name in HASHED})


class AuditHead(db.Model):
    """A single row holding the newest hash; locking it orders concurrent appends."""

    id = db.Column(db.Integer, primary_key=True)
    hash = db.Column(db.String(64), nullable=False)


def canonical(values):
    """The hashed content of an event's values, in a fixed form (the time always in UTC: the
    database may hand it back in its session's time zone)."""
    items = [values[name] for name in HASHED]
    items[0] = as_utc(items[0]).astimezone(UTC).isoformat()
    return json.dumps(items, separators=(",", ":"))


def chain_hash(values, key):
    """HMAC-SHA256 of the canonical content under the audit key."""
    return hmac.new(key, canonical(values).encode(), hashlib.sha256).hexdigest()


def _chain(events, prev, key):
    """(the events as rows with their prev_hash and hash, the last hash), hashed as chain_hash
    does but for a batch: one keyed HMAC copied per event, and the values a bulk run repeats
    (time, actor, action, fields, detail) encoded once per batch, not once per event."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    heads, tails = {}, {}  # the canonical list's JSON before and after the subject
    rows = []
    for values in events:
        first = (values["at"], values["actor_type"], values["actor_id"], values["action"])
        head = heads.get(first)
        if head is None:
            at = as_utc(first[0]).astimezone(UTC).isoformat()
            head = heads[first] = json.dumps([at, *first[1:]], separators=(",", ":"))[:-1]
        last = (values["fields"], values["detail"])
        tail = tails.get(last)
        if tail is None:
            tail = tails[last] = json.dumps(last, separators=(",", ":"))[1:-1]
        # The same text as canonical(values): a hex hash needs no JSON escaping.
        subject = values["subject_id"]
        subject = _json_str(subject) if type(subject) is str else json.dumps(subject)
        text = f'{head},{subject},{tail},"{prev}"]'
        digest = base.copy()
        digest.update(text.encode())
        row = {**values, "prev_hash": prev}
        row["hash"] = prev = digest.hexdigest()
        rows.append(row)
    return rows, prev


def audit_key():
    """The audit key of the running app, as bytes."""
    return current_app.config["AUDIT_KEY"].encode()


def _actor_pair(actor):
    """(type, id) of the Actor who acted: given explicitly, never guessed from the request."""
    if not isinstance(actor, Actor):
        raise TypeError("audit events name their actor: pass actor=Actor.staff(...) and the like")
    return actor.kind, actor.id


def _pending(session=None):
    return (session or db.session()).info.setdefault(_PENDING, [])


def _event(action, actor, subject, fields, detail, at):
    actor_type, actor_id = _actor_pair(actor)
    return {
        "at": at,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "subject_id": subject,
        "fields": ",".join(sorted(fields)),
        "detail": detail[:200],
    }


def record(action, *, actor, subject=None, fields=(), detail=""):
    """Add an event to the current action; it is appended when the action's transaction commits."""
    at = utcnow().replace(microsecond=0)
    _pending().append(_event(action, actor, subject, fields, detail, at))


def record_many(action, items, *, actor, detail=""):
    """Add one event per (subject, field names) or (subject, field names, its own detail);
    for bulk work they go in one insert."""
    at = utcnow().replace(microsecond=0)
    events = [
        _event(action, actor, item[0], item[1], item[2] if len(item) > 2 else detail, at)
        for item in items
    ]
    _pending().extend(events)
    return len(events)


def append(session, events):
    """Chain and insert the events in the session's transaction, under the head's lock."""
    head = session.execute(select(AuditHead.hash).where(AuditHead.id == 1).with_for_update())
    prev = head.scalar_one_or_none()
    if prev is None:
        session.execute(insert(AuditHead).values(id=1, hash=GENESIS))
        prev = GENESIS
    rows, prev = _chain(events, prev, audit_key())
    session.execute(insert(AuditEvent.__table__), rows)  # plain rows: no ORM work per event
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))
    return prev


@event.listens_for(Session, "before_commit")
def _append_before_commit(session):
    events = session.info.pop(_PENDING, None)
    if events:
        append(session, events)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session, previous_transaction):
    # What a rolled-back action recorded did not happen; the unit of work keeps the reads.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def head_hash():
    """The newest hash of the chain (the genesis value when the log is empty)."""
    return db.session.scalar(select(AuditHead.hash).where(AuditHead.id == 1)) or GENESIS


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain: intact, or the first event that breaks it and why."""

    events: int
    broken_at: int | None = None  # event id; -1 when the head does not match the last event
    reason: str = ""
    head: str = ""  # the head hash the walk was checked against (of the same snapshot)

    @property
    def intact(self):
        """True when every event and the head check out."""
        return self.broken_at is None


@contextmanager
def _snapshot():
    """A connection of its own on one consistent, read-only snapshot that takes no write lock.

    On PostgreSQL REPEATABLE READ: under READ COMMITTED an event appended during the walk would
    move the head past the last event walked and read as a cut-off log. On SQLite a deferred
    BEGIN (WAL: a snapshot without a lock): a command's session begins IMMEDIATE, which would
    hold every writer back for the whole walk.
    """
    options = {}
    if db.engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with transactions_begin(immediate=False), db.engine.connect() as conn:
        conn.execution_options(**options)
        with conn.begin():
            yield conn


def verify(key=None):
    """Walk the committed log in order, recomputing each keyed hash and link, and the head."""
    key = key or audit_key()
    expected_prev, count = GENESIS, 0
    columns = [AuditEvent.id, AuditEvent.hash, *(getattr(AuditEvent, n) for n in HASHED)]
    with _snapshot() as conn:
        head = conn.scalar(select(AuditHead.hash).where(AuditHead.id == 1)) or GENESIS
        rows = conn.execute(
            select(*columns).order_by(AuditEvent.id).execution_options(yield_per=2000)
        )
        for row in rows:
            values = row._asdict()
            if values["prev_hash"] != expected_prev:
                return Verification(count, values["id"], REASON_LINK, head)
            if not hmac.compare_digest(chain_hash(values, key), values["hash"]):
                return Verification(count, values["id"], REASON_HASH, head)
            expected_prev = values["hash"]
            count += 1
    if head != expected_prev:
        return Verification(count, -1, REASON_HEAD, head)
    return Verification(count, head=head)


def reaches(head):
    """True if the log holds an event with this hash (or head is the genesis value): a chain
    verified intact then still holds every event up to that head."""
    if head == GENESIS:
        return True
    with _snapshot() as conn:
        return conn.scalar(select(AuditEvent.id).where(AuditEvent.hash == head)) is not None


def verify_chain():
    """The id of the first broken event, or None if the chain is intact."""
    return verify().broken_at
