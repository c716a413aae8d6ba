"""The payload of a PostgreSQL backup: every table in PostgreSQL's own COPY text format.

    {"dump": "clubsite-pgcopy", "version": 1}
    {"table": "location", "columns": ["id", "public_id", ...]}
    <one line per row, as COPY ... TO STDOUT writes it>
    \\.
    {"table": "member", ...}

The server formats and parses the rows (COPY), so a dump of two million rows takes seconds, not
minutes. Tables come parents first, read inside the caller's REPEATABLE READ transaction.
"""

import json

from flask_babel import lazy_gettext as _l
from psycopg import sql

from clubsite.backup.container import BackupError
from clubsite.backup.tables import reflect_tables

HEADER = {"dump": "clubsite-pgcopy", "version": 1}
END = b"\\.\n"
FLUSH_LINES = 2000


def _copy_statement(table, columns, direction):
    return sql.SQL("COPY {} ({}) " + direction).format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def write_copy_dump(conn, out):
    """Write every table of the connection's database to out; return rows per table."""
    counts = {}
    out.write(json.dumps(HEADER).encode() + b"\n")
    with conn.connection.driver_connection.cursor() as cursor:
        for table in reflect_tables(conn):
            columns = [c.name for c in table.columns]
            out.write(json.dumps({"table": table.name, "columns": columns}).encode() + b"\n")
            count = 0
            with cursor.copy(_copy_statement(table.name, columns, "TO STDOUT")) as copy:
                for data in copy:
                    # COPY's text format escapes newlines inside values: one line per row.
                    count += (
                        data.count(b"\n") if isinstance(data, bytes) else bytes(data).count(b"\n")
                    )
                    out.write(data)
            out.write(END)
            counts[table.name] = count
    return counts


def _sections(handle):
    """(table, columns, iterator of row lines) for each table of a dump, in order."""
    if json.loads(handle.readline() or b"null") != HEADER:
        raise BackupError(_l("The backup's contents are not in a format this version reads."))
    while line := handle.readline():
        doc = json.loads(line)
        yield doc["table"], doc["columns"], _rows(handle)


def _rows(handle):
    while True:
        line = handle.readline()
        if line == END:
            return
        if not line:
            raise BackupError(_l("The backup's contents end in the middle of a table."))
        yield line


def count_copy_dump(handle):
    """Rows per table of a dump, without loading it."""
    return {name: sum(1 for _ in rows) for name, _columns, rows in _sections(handle)}


def load_copy_dump(handle, conn, *, create_missing=None, skip=("alembic_version",)):
    """COPY a dump's rows into the connection's database (at the dump's schema revision)."""
    present = {t.name for t in reflect_tables(conn)}
    counts = {}
    with conn.connection.driver_connection.cursor() as cursor:
        for name, columns, rows in _sections(handle):
            if name in skip:
                for _row in rows:
                    pass
                continue
            if name not in present and not (create_missing and create_missing(conn, name)):
                raise BackupError(
                    _l(
                        "The backup holds a table (%(name)s) this database does not have.",
                        name=name,
                    )
                )
            counts[name] = 0
            with cursor.copy(_copy_statement(name, columns, "FROM STDIN")) as copy:
                batch = []
                for line in rows:
                    batch.append(line)
                    if len(batch) >= FLUSH_LINES:
                        copy.write(b"".join(batch))
                        counts[name] += len(batch)
                        batch = []
                copy.write(b"".join(batch))
                counts[name] += len(batch)
    return counts
