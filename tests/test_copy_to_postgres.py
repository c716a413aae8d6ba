"""`flask --app wsgi db copy-to URL`: a SQLite club moves into an empty PostgreSQL database with
every row, its counts checked and its id sequences moved on."""

import os
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from clubsite.backup.tables import reflect_tables
from clubsite.demo import seed
from clubsite.extensions import db
from tests.backup.helpers import database_rows
from tests.privacy.factories import JANIS, enrol

POSTGRES_URL = os.environ.get("CLUBSITE_TEST_POSTGRES_URL")


@pytest.fixture
def empty_postgres():
    """A new, empty PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("CLUBSITE_TEST_POSTGRES_URL is not set")
    name = f"clubsite_copy_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _prepare(url):
    """Migrate the target, and build tables whose migration is not written yet (as conftest
    does for every test database); copy-to itself refuses a target that lacks a table."""
    import flask_migrate

    from clubsite.backup.schema import scratch_app

    with scratch_app(url):
        flask_migrate.upgrade()
        db.create_all()


def _rows(url):
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    snapshot = {}
    try:
        with engine.connect() as conn:
            for table in reflect_tables(conn):
                rows = [tuple(_plain(v) for v in row) for row in conn.execute(sa.select(table))]
                snapshot[table.name] = sorted(rows, key=repr)
    finally:
        engine.dispose()
    return snapshot


def _plain(value):
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def test_copy_to_an_empty_postgres_keeps_every_row(app, runner, make_staff, empty_postgres):
    """Same rows in every table; a new member in the copy gets the next free id."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("copies a SQLite club")
    seed(60)
    make_staff("admin")
    enrol(JANIS, ["access", "fees", "newsletter"])
    source = database_rows()
    _prepare(empty_postgres)

    result = runner.invoke(args=["db", "copy-to", empty_postgres])

    assert result.exit_code == 0, result.output
    assert "row counts match" in result.output
    target = _rows(empty_postgres)
    assert {name: source[name] for name in target} == target
    # Tables whose migration is not written yet exist only in the source; they must be empty.
    assert all(source[name] == [] for name in set(source) - set(target))
    assert len(target["member"]) > 60 and target["staff_user"]
    engine = sa.create_engine(empty_postgres.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            member = sa.Table("member", sa.MetaData(), autoload_with=conn)
            new_id = conn.execute(
                member.insert()
                .values(public_id=str(uuid.uuid4()), language="lv", version=1,
                        created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
                .returning(member.c.id)
            ).scalar_one()  # fmt: skip
    finally:
        engine.dispose()
    assert new_id == max(row[0] for row in source["member"]) + 1
    # The copy was analysed: the planner knows the tables' sizes and their columns' values
    # (pg_class.reltuples is -1 before a table's first ANALYZE).
    assert _planner_statistics(empty_postgres, "member") == (len(target["member"]), True)


def _planner_statistics(url, table):
    """(rows the planner counts in the table, whether it has column statistics for it)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            reltuples = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
            ).scalar_one()
            has_stats = conn.execute(
                sa.text("SELECT count(*) FROM pg_stats WHERE tablename = :t"), {"t": table}
            ).scalar_one()
    finally:
        engine.dispose()
    return int(reltuples), has_stats > 0


def test_copy_to_refuses_a_database_that_is_not_empty(app, runner, empty_postgres):
    """A second copy into the same database is refused; its rows stay as they were."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("copies a SQLite club")
    seed(5)
    _prepare(empty_postgres)
    assert runner.invoke(args=["db", "copy-to", empty_postgres]).exit_code == 0
    before = _rows(empty_postgres)
    seed(5, force=True)

    again = runner.invoke(args=["db", "copy-to", empty_postgres])

    assert again.exit_code == 1
    # The message (in the default language) names the first table that has rows.
    first = min(name for name, rows in before.items() if rows and name != "alembic_version")
    assert first in again.output
    assert _rows(empty_postgres) == before
