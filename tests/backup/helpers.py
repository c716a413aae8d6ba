"""Helpers for backup tests: the whole database as comparable rows."""

from datetime import UTC, datetime

import sqlalchemy as sa

from clubsite.backup.tables import reflect_tables
from clubsite.extensions import db


def _plain(value):
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def database_rows():
    """Every table's rows, sorted, with values in one comparable form (UTC, bytes)."""
    db.session.commit()
    snapshot = {}
    with db.engine.connect() as conn:
        for table in reflect_tables(conn):
            rows = [tuple(_plain(v) for v in row) for row in conn.execute(sa.select(table))]
            snapshot[table.name] = sorted(rows, key=repr)
    return snapshot
