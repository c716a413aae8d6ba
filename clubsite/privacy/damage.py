"""Damaged ciphertexts: a stored value that no longer decrypts (moved to another row, changed,
or under a key that is gone) is left out of what is shown, recorded here, and audited.

One damaged row used to turn every list and search that included it into a 500. Now
`fields.read` calls `note()`: the value is left out, an audit event names the row and field
(never a value), and the row goes into `damaged_value` when the request's transaction commits
(with its read audit, in the same short write). The admin home counts the recorded rows that
are still damaged: only those few are decrypted again, never the whole table.
"""

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.privacy import audit

SEEN = "damaged_values_seen"  # session.info: {(table, row id, column)} waiting for the commit
PANEL_LIMIT = 100


class DamagedValue(db.Model):
    """A stored value seen to fail its check; names the row and column, never a value."""

    id = db.Column(db.Integer, primary_key=True)
    table_name = db.Column(db.String(32), nullable=False)
    row_id = db.Column(db.String(36), nullable=False)  # the row's public id
    column_name = db.Column(db.String(32), nullable=False)
    first_seen_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (db.UniqueConstraint("table_name", "row_id", "column_name"),)


def note(table, row_id, column):
    """A value failed to decrypt: audit it (once per transaction) and record it at commit."""
    session = db.session()
    seen = session.info.setdefault(SEEN, set())
    key = (table, row_id, column)
    if key in seen:
        return
    seen.add(key)
    audit.record(
        "privacy.value_damaged",
        subject=row_id,
        fields=[column],
        detail=f"{table}:decrypt_failed",
        actor=Actor.system(),
    )


@event.listens_for(Session, "before_commit")
def _record_before_commit(session):
    seen = session.info.pop(SEEN, None)
    if not seen:
        return
    now = utcnow()
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"table_name": t, "row_id": r, "column_name": c, "first_seen_at": now, "last_seen_at": now}
        for t, r, c in sorted(seen)
    ]
    # ON CONFLICT: two requests that see the same row at once must not fail each other.
    statement = upsert(DamagedValue).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["table_name", "row_id", "column_name"],
            set_={"last_seen_at": statement.excluded.last_seen_at},
        )
    )


def still_damaged(check, *, limit=PANEL_LIMIT):
    """The recorded rows whose value still fails, newest first: [(row id, [columns])].

    `check(table, row_id, column)` is True while the stored value still fails to decrypt (and
    exists); only the recorded rows are checked.
    """
    rows = db.session.execute(
        select(DamagedValue.table_name, DamagedValue.row_id, DamagedValue.column_name)
        .order_by(DamagedValue.last_seen_at.desc(), DamagedValue.id.desc())
        .limit(limit)
    ).all()
    found = {}
    for table, row_id, column in rows:
        if check(table, row_id, column):
            found.setdefault(row_id, []).append(column)
    return list(found.items())
