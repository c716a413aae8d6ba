"""audit log: re-chain the events with HMAC-SHA256 under the audit key

Revision ID: 07558716cac6
Revises: a64563b1fb11
Create Date: 2026-12-01 10:00:00.000000

Until now each event's hash was a plain SHA-256 of its canonical content, so whoever could write
to the database could also recompute the chain. This migration first walks the plain chain (to
know whether it was still intact), then re-chains every event in id order with HMAC-SHA256 under
the app's audit key (AUDIT_KEY: instance/audit_key or CLUBSITE_AUDIT_KEY, never the database)
and sets the head row. Re-chaining would silently bless a log that had already been tampered
with, so when there are events it appends one more, `audit.rekeyed`, whose detail records what
the walk of the plain chain found ("sha256 intact" or "sha256 broken at <id>"); that event is
itself keyed, so the finding cannot be removed unseen later.

An empty log is left as it is (no head row is added: the first append creates it).

Self-contained on purpose: the canonical form is copied from clubsite/privacy/audit.py as it is
at this revision (a later change to the app's code must not change what this migration does).
"""

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "07558716cac6"
down_revision = "a64563b1fb11"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

GENESIS = "0" * 64
HASHED = ("at", "actor_type", "actor_id", "action", "subject_id", "fields", "detail", "prev_hash")
BATCH = 2000

audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_type", sa.String),
    sa.column("actor_id", sa.String),
    sa.column("action", sa.String),
    sa.column("subject_id", sa.String),
    sa.column("fields", sa.String),
    sa.column("detail", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
audit_head = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("hash", sa.String))


def _canonical(values):
    """clubsite.privacy.audit.canonical: the hashed content in a fixed form (times in UTC)."""
    items = [values[name] for name in HASHED]
    at = items[0]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    items[0] = at.isoformat()
    return json.dumps(items, separators=(",", ":")).encode()


def _sha256(values):
    return hashlib.sha256(_canonical(values)).hexdigest()


def _keyed(key):
    return lambda values: hmac.new(key, _canonical(values), hashlib.sha256).hexdigest()


def _audit_key():
    from flask import current_app  # Flask-Migrate runs migrations inside the app context

    key = current_app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("AUDIT_KEY is not configured: the audit log cannot be re-chained")
    return key.encode()


def _batches(conn):
    columns = [audit_event.c.id, audit_event.c.hash, *(audit_event.c[n] for n in HASHED)]
    last = 0
    while True:
        rows = conn.execute(
            sa.select(*columns)
            .where(audit_event.c.id > last)
            .order_by(audit_event.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield [row._asdict() for row in rows]
        last = rows[-1].id


def _rechain(conn, new_hash, old_hash=None):
    """Re-hash every event in id order with new_hash; return the number of events, the id of the
    first event where the chain under old_hash was broken (None: intact or not checked; -1: the
    head did not match the last event) and the new head."""
    update = (
        sa.update(audit_event)
        .where(audit_event.c.id == sa.bindparam("event_id"))
        .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash"))
    )
    old_prev, new_prev, count, broken = GENESIS, GENESIS, 0, None
    for rows in _batches(conn):
        changes = []
        for values in rows:
            if (
                old_hash
                and broken is None
                and (values["prev_hash"] != old_prev or old_hash(values) != values["hash"])
            ):
                broken = values["id"]
            old_prev = values["hash"]
            values["prev_hash"] = new_prev
            new_prev = new_hash(values)
            changes.append(
                {"event_id": values["id"], "new_prev": values["prev_hash"], "new_hash": new_prev}
            )
        conn.execute(update, changes)
        count += len(rows)
    stored_head = conn.execute(sa.select(audit_head.c.hash).where(audit_head.c.id == 1)).scalar()
    if old_hash and broken is None and count and stored_head not in (None, old_prev):
        broken = -1  # the head did not match the last event: the newest events were cut off
    return count, broken, new_prev


def _set_head(conn, value):
    if conn.execute(sa.select(audit_head.c.id).where(audit_head.c.id == 1)).first() is None:
        conn.execute(sa.insert(audit_head).values(id=1, hash=value))
    else:
        conn.execute(sa.update(audit_head).where(audit_head.c.id == 1).values(hash=value))


def upgrade():
    conn = op.get_bind()
    if conn.execute(sa.select(audit_event.c.id).limit(1)).first() is None:
        # Nothing to re-chain, and no row to add: a restore into PostgreSQL migrates an empty
        # scratch schema to the backup's revision and then loads the backup's rows into it.
        return
    keyed = _keyed(_audit_key())
    count, broken, head = _rechain(conn, keyed, _sha256)
    if broken is None:
        finding = "sha256 intact"
    elif broken == -1:
        finding = "sha256 broken at the head"
    else:
        finding = f"sha256 broken at {broken}"
        log.warning(
            "audit log: the plain SHA-256 chain was %s before re-keying (recorded in "
            "the audit.rekeyed event)",
            finding.removeprefix("sha256 "),
        )
    event = {
        "at": datetime.now(UTC).replace(microsecond=0),
        "actor_type": "system",
        "actor_id": None,
        "action": "audit.rekeyed",
        "subject_id": None,
        "fields": "",
        "detail": f"{finding}; {count} events",
        "prev_hash": head,
    }
    event["hash"] = keyed(event)
    conn.execute(sa.insert(audit_event).values(**event))
    _set_head(conn, event["hash"])


def downgrade():
    # Back to the plain SHA-256 chain the previous code verifies (the audit.rekeyed event stays:
    # it happened). Anyone with database access can recompute this chain; that is the old design.
    conn = op.get_bind()
    count, _broken, head = _rechain(conn, _sha256)
    if count:
        _set_head(conn, head)
