"""Move a club from SQLite to PostgreSQL: `flask --app wsgi db copy-to URL`.

The target is migrated to the current schema first and must be empty; all rows are copied in
one transaction on the target (COPY on PostgreSQL), the id sequences are moved past the copied
ids, and the row counts of every table are compared before the commit. After the commit the
target is analysed (ANALYZE): a database filled in one go has no planner statistics until
autovacuum gets round to it, and without them PostgreSQL plans joins over empty tables (a
retention query ran for minutes instead of milliseconds).
"""

from dataclasses import dataclass

import flask_migrate
from flask_babel import lazy_gettext as _l

from clubsite.backup import tables
from clubsite.backup.container import BackupError
from clubsite.backup.schema import check_revision, scratch_app
from clubsite.database import analyze
from clubsite.extensions import db


@dataclass
class CopyReport:
    """Rows copied per table, and tables skipped because they were empty and absent there."""

    counts: dict
    skipped: list


def copy_to(url):
    """Copy every row of the app's database into the empty database at url."""
    live_engine = db.engine
    with live_engine.connect() as source:
        revision = tables.schema_revision(source)
    if revision != check_revision(revision):
        raise BackupError(
            _l("The database is not at the current schema: run `flask --app wsgi db upgrade`.")
        )
    db.session.remove()
    with scratch_app(url):
        if db.engine.url == live_engine.url:
            raise BackupError(_l("The target is the database the app is using."))
        flask_migrate.upgrade()
        report = _copy(live_engine, db.engine)
        analyze(db.engine)
        return report


def _copy(live_engine, target_engine):
    # One read transaction on the source (a consistent snapshot; SQLite also keeps writers out).
    with live_engine.connect() as source, source.begin(), target_engine.begin() as target:
        source_tables = [t for t in tables.reflect_tables(source) if t.name != tables.VERSION_TABLE]
        target_tables = {t.name: t for t in tables.reflect_tables(target)}
        expected = tables.table_counts(source, source_tables)
        nonempty = {n for n, c in tables.table_counts(target, target_tables.values()).items() if c}
        nonempty.discard(tables.VERSION_TABLE)
        if nonempty:
            raise BackupError(
                _l("The target database is not empty (%(name)s has rows).", name=min(nonempty))
            )
        names, skipped = [], []
        for table in source_tables:
            if table.name in target_tables:
                names.append(table.name)
            elif expected[table.name] == 0:
                skipped.append(table.name)
            else:
                raise BackupError(
                    _l(
                        "The target has no table %(name)s; its migration is missing.",
                        name=table.name,
                    )
                )
        copied = tables.copy_tables(source, target, names)
        tables.reset_sequences(target)
        landed = tables.table_counts(target, [target_tables[n] for n in names])
        if landed != {n: expected[n] for n in names} or copied != landed:
            raise BackupError(_l("The copied row counts do not match; nothing was committed."))
        return CopyReport(landed, skipped)
