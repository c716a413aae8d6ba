"""Tables as rows: what a database holds, counted, and copied to another database.

Everything works on the database's actual tables and columns (reflected), so a backup taken at
an older schema revision loads into a database migrated to that revision. Used by backups,
restores into PostgreSQL, `db copy-to` and the demo data (insert_rows).
"""

import json
from datetime import UTC

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clubsite.backup.container import BackupError

BATCH = 5000
VERSION_TABLE = "alembic_version"


def reflect_tables(conn):
    """The database's tables as reflected Table objects, parents before children."""
    metadata = sa.MetaData()
    metadata.reflect(bind=conn)
    return list(metadata.sorted_tables)


def schema_revision(conn):
    """The Alembic revision the database is at, or None if it has none."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def table_counts(conn, tables=None):
    """Rows per table."""
    tables = tables if tables is not None else reflect_tables(conn)
    return {
        t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables
    }


def _stream(conn, table):
    """Partitions of a table's rows, read with a server-side cursor where there is one."""
    streaming = conn.execution_options(stream_results=True, yield_per=BATCH)
    return streaming.execute(sa.select(table)).partitions()


def _datetime_fixer(column, dialect_name):
    """Datetimes go in as UTC: naive ones are UTC already (SQLite keeps no offset)."""
    if dialect_name == "postgresql" and getattr(column.type, "timezone", False):
        return lambda value: value if value.tzinfo else value.replace(tzinfo=UTC)
    return lambda value: value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _converters(conn, table, columns):
    """Per column: a function for non-None values (datetime to UTC, then the type's own bind
    converter on SQLite), or None where values go in unchanged."""
    dialect = conn.dialect
    converters = []
    for name in columns:
        if name not in table.columns:
            raise BackupError(
                _l("The backup does not match this database's tables (%(name)s).", name=table.name)
            )
        column = table.columns[name]
        fix = (
            _datetime_fixer(column, dialect.name) if isinstance(column.type, sa.DateTime) else None
        )
        bind = None if dialect.name == "postgresql" else column.type.bind_processor(dialect)
        if isinstance(column.type, sa.LargeBinary):
            bind = None  # the drivers take bytes as they are
        if fix and bind:
            converters.append(lambda v, f=fix, b=bind: b(f(v)))
        else:
            converters.append(fix or bind)
    return converters


def insert_rows(conn, table, columns, rows):
    """Insert rows (sequences in the order of columns): COPY on PostgreSQL, executemany else."""
    if not rows:
        return
    converters = [(i, c) for i, c in enumerate(_converters(conn, table, columns)) if c]
    if converters:
        # Plain executemany with the types' own converters: several times faster than
        # SQLAlchemy's per-row parameter handling, which matters at a million rows.
        rows = [list(row) for row in rows]
        for row in rows:
            for i, convert in converters:
                if row[i] is not None:
                    row[i] = convert(row[i])
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, columns, rows)
        return
    compiled = sa.insert(table).compile(dialect=conn.dialect, column_keys=columns)
    order = [columns.index(key) for key in compiled.positiontup]
    if order != list(range(len(columns))):
        rows = [tuple(row[i] for i in order) for row in rows]
    elif converters or not isinstance(rows[0], tuple):
        rows = [tuple(row) for row in rows]
    conn.exec_driver_sql(str(compiled), rows)


def _copy_rows(conn, table, columns, rows):
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])


def copy_tables(source, target, tables):
    """Copy the named tables' rows from one connection to another; return rows per table."""
    source_tables = {t.name: t for t in reflect_tables(source)}
    target_tables = {t.name: t for t in reflect_tables(target)}
    counts = {}
    for name in tables:
        src, dst = source_tables[name], target_tables[name]
        columns = [c.name for c in src.columns]
        counts[name] = 0
        for rows in _stream(source, src):
            insert_rows(target, dst, columns, rows)
            counts[name] += len(rows)
    return counts


def truncate(conn, tables):
    """Empty the tables in one statement (PostgreSQL) or one by one (others)."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        conn.execute(sa.text(f"TRUNCATE {names}"))
        return
    for table in reversed(tables):
        conn.execute(sa.delete(table))


def reset_sequences(conn):
    """After rows were loaded with their ids, make PostgreSQL's id sequences continue past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in reflect_tables(conn):
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            sequence = conn.execute(
                sa.select(sa.func.pg_get_serial_sequence(table.name, column.name))
            ).scalar()
            if sequence:
                highest = conn.execute(sa.select(sa.func.max(column))).scalar() or 0
                conn.execute(sa.select(sa.func.setval(sequence, highest + 1, False)))
