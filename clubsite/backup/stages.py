"""Where a backup is rebuilt before it replaces the live database, and how it replaces it.

SQLite: a separate file, put in place with the backup API inside one write transaction on the
live file (every process sees the old or the new database; os.replace would leave other
processes writing to an unlinked file). PostgreSQL: a scratch schema in the live database, whose
tables are swapped in for the live ones (ALTER TABLE ... SET SCHEMA) inside one transaction that
also locks the erasure journal. Both are migrated and repaired with scratch_app() before
anything live is touched.
"""

import secrets
import sqlite3

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.backup import pgcopy, tables
from clubsite.backup.container import BackupError
from clubsite.backup.schema import scratch_app
from clubsite.backup.service import check_sqlite_file
from clubsite.extensions import db
from clubsite.privacy.models import ErasureJournal, Suppression

# The key id of an encrypted value (crypto.py: version byte, id length, id, nonce, ...), read in
# SQL so a million values are scanned by the database, not one by one in Python.
_SQLITE_KEY_ID = (
    "CASE hex(substr({c}, 2, 1)) "
    + " ".join(f"WHEN '{n:02X}' THEN substr({{c}}, 3, {n})" for n in range(1, 17))
    + " END"
)
_POSTGRES_KEY_ID = "substr({c}, 3, get_byte({c}, 1))"


class JournalMoved(Exception):
    """Someone was erased while the restore ran; replay again before replacing."""


def create_missing(conn, name):
    """Create a table the migrations do not make yet (a feature still being built)."""
    table = db.metadata.tables.get(name)
    if table is None:
        return False
    table.create(conn)
    return True


def _counts_match(counts, manifest):
    expected = {k: v for k, v in manifest["tables"].items() if k != tables.VERSION_TABLE}
    if {k: v for k, v in counts.items() if k != tables.VERSION_TABLE} != expected:
        raise BackupError(_l("The backup's row counts do not match its manifest."))


def check_keys(used):
    """Refuse a backup whose values need a data key the current key ring no longer holds."""
    missing = sorted(set(used) - set(current_app.config["KEY_RING"].data_keys))
    if missing:
        raise BackupError(
            _l(
                "This backup needs data key(s) %(keys)s, which the current key ring no longer "
                "holds. Add them back to the data keys, then restore.",
                keys=", ".join(missing),
            )
        )


def _key_ids(execute, present, template, quote):
    from clubsite.privacy.keys import REGISTRY

    used = set()
    for spec in REGISTRY:
        table = spec.model.__table__.name
        if table not in present:
            continue  # a feature's table whose migration is not written yet
        for attr in spec.columns:
            column = quote(getattr(spec.model, attr).expression.name)
            # Names come from the model registry, never from input.
            query = f"SELECT DISTINCT {template.format(c=column)} FROM {quote(table)}"  # noqa: S608
            used.update(
                bytes(row[0]).decode("ascii", "replace") for row in execute(query) if row[0]
            )
    return used


class SqliteStage:
    """The backup rebuilt as a SQLite file in the work folder."""

    def __init__(self, work, live_file):
        self.path, self.live_file = work / "staged.sqlite3", live_file
        self.url = f"sqlite:///{self.path}"

    def app(self):
        """The app on the staged file."""
        return scratch_app(self.url)

    def load(self, manifest, payload, migrate):
        """The payload as a checked file at the backup's schema revision."""
        if manifest.get("kind") != "sqlite":
            raise BackupError(
                _l("This backup was made from PostgreSQL; restore it into a PostgreSQL database.")
            )
        # The file is authenticated byte for byte; `backup verify` runs the full integrity_check.
        check_sqlite_file(payload, manifest, thorough=False)
        payload.rename(self.path)

    def check(self):
        """Every reference points at a row, and every value's key is in the key ring."""
        conn = sqlite3.connect(self.path)
        try:
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            used = _key_ids(conn.execute, present, _SQLITE_KEY_ID, lambda n: f'"{n}"')
        finally:
            conn.close()
        if problems:
            raise BackupError(_l("The restored database fails its consistency check."))
        check_keys(used)

    def install(self, guards):
        """Copy the staged file over the live one in one write transaction."""
        db.session.remove()
        db.engine.dispose()
        source = sqlite3.connect(self.path)
        target = sqlite3.connect(self.live_file, timeout=60)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        db.engine.dispose()

    def close(self):
        """Nothing to remove: the work folder goes with its files."""


class PostgresStage:
    """The backup rebuilt in a scratch schema of the live PostgreSQL database."""

    def __init__(self):
        token = secrets.token_hex(4)
        self.schema, self.replaced = f"clubsite_restore_{token}", f"clubsite_replaced_{token}"
        self.url = db.engine.url.render_as_string(hide_password=False)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))

    def app(self):
        """The app on the scratch schema (search_path), with the same keys."""
        return scratch_app(self.url, search_path=self.schema)

    def load(self, manifest, payload, migrate):
        """Migrate the scratch schema to the backup's revision and load the rows into it."""
        with self.app():
            migrate(manifest.get("schema_revision"))
            with db.engine.begin() as conn, open(payload, "rb") as handle:
                if manifest.get("kind") == "pgcopy":
                    counts = pgcopy.load_copy_dump(handle, conn, create_missing=create_missing)
                else:
                    counts = self._from_sqlite(payload, manifest, conn)
                tables.reset_sequences(conn)  # the replay below inserts rows of its own
        _counts_match(counts, manifest)

    def _from_sqlite(self, payload, manifest, conn):
        check_sqlite_file(payload, manifest, thorough=False)
        source_engine = sa.create_engine(f"sqlite:///{payload}")
        try:
            with source_engine.connect() as source:
                names = [t.name for t in tables.reflect_tables(source)]
                names = [n for n in names if n != tables.VERSION_TABLE]
                present = {t.name for t in tables.reflect_tables(conn)}
                for name in names:
                    if name not in present and not create_missing(conn, name):
                        raise BackupError(
                            _l(
                                "The backup holds a table (%(name)s) this database does not have.",
                                name=name,
                            )
                        )
                return tables.copy_tables(source, conn, names)
        finally:
            source_engine.dispose()

    def check(self):
        """PostgreSQL enforced the references while loading; check the keys."""
        with self.app(), db.engine.connect() as conn:
            present = {t.name for t in tables.reflect_tables(conn)}
            used = _key_ids(
                lambda q: conn.execute(sa.text(q)), present, _POSTGRES_KEY_ID, lambda n: f'"{n}"'
            )
        check_keys(used)

    def install(self, guards):
        """Replace every live table's rows with the scratch schema's, in one transaction."""
        db.session.remove()
        with db.engine.begin() as live:
            live.execute(sa.text("SET LOCAL lock_timeout = '60s'"))
            # No erasure may commit between this look at the journal and the commit below.
            live.execute(sa.text("LOCK TABLE erasure_journal, suppression IN EXCLUSIVE MODE"))
            erased = {row[0] for row in live.execute(select(ErasureJournal.public_id))}
            suppressed = {bytes(row[0]) for row in live.execute(select(Suppression.address_hash))}
            journal, suppressions = guards
            if erased != {row[0] for row in journal} or not suppressed <= {
                bytes(row[0]) for row in suppressions
            }:
                raise JournalMoved()
            self._replace(live)

    def _replace(self, live):
        """Swap the scratch schema's tables in for the live ones (ALTER TABLE ... SET SCHEMA:
        no row is copied again; other sessions wait on the locks and then see the new tables)."""
        schema = live.execute(sa.text("SELECT current_schema()")).scalar_one()
        targets = {t.name for t in tables.reflect_tables(live)} - {tables.VERSION_TABLE}
        staged = sa.MetaData(schema=self.schema)
        staged.reflect(bind=live)
        moving = {t.name for t in staged.tables.values()} - {tables.VERSION_TABLE}
        if moving - targets:
            raise BackupError(
                _l("The backup holds a table (%(name)s) this database does not have.",
                   name=min(moving - targets))
            )  # fmt: skip
        expected = tables.table_counts(
            live, [t for t in staged.tables.values() if t.name in moving]
        )
        live.execute(sa.text(f'CREATE SCHEMA "{self.replaced}"'))
        for name in sorted(moving):
            live.execute(sa.text(f'ALTER TABLE "{schema}"."{name}" SET SCHEMA "{self.replaced}"'))
            live.execute(sa.text(f'ALTER TABLE "{self.schema}"."{name}" SET SCHEMA "{schema}"'))
        # Tables the backup did not have (none, at the same schema) are emptied, not kept.
        left = [t for t in tables.reflect_tables(live) if t.name in targets - moving]
        if left:
            tables.truncate(live, left)
        landed = tables.table_counts(
            live, [t for t in tables.reflect_tables(live) if t.name in moving]
        )
        if landed != expected:
            raise BackupError(_l("The restored row counts do not match; nothing was changed."))

    def close(self):
        """Drop the scratch schema, and the replaced tables once the swap is committed."""
        db.session.remove()
        with db.engine.begin() as conn:
            for schema in (self.schema, self.replaced):
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
