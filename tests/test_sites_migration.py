"""The sites migration on a database with data, on SQLite and PostgreSQL: every hall gets a
site, staff keep their home site as an assigned one, and nothing that points at a rebuilt table
(staff sessions, bookings) is lost; the downgrade gives it all back."""

import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clubsite import create_app
from clubsite.extensions import db
from tests.conftest import BACKENDS, POSTGRES_URL, _config

BEFORE = "0c7a2098ecdd"
SITES = "28ac9974bca8"

ROWS = """
INSERT INTO location (public_id, name, address, active) VALUES
  ('l-1', 'Centrs', '', TRUE), ('l-2', 'Purvciems', '', TRUE);
INSERT INTO staff_user (public_id, email, name_enc, roles, active, language, created_at, version,
  location_id) VALUES
  ('s-1', 'rita@klubs.lv', 'x', 'reception', TRUE, 'lv', '2026-01-01', 1, 2),
  ('s-2', 'guard@klubs.lv', 'x', 'staff', TRUE, 'lv', '2026-01-01', 1, NULL);
INSERT INTO staff_session (token_hash, staff_id, created_at, last_seen_at, second_factor_done)
  VALUES ('token-1', 1, '2026-01-01', '2026-01-01', TRUE);
INSERT INTO hall (public_id, name, location_id, active) VALUES
  ('h-1', 'Lielā zāle', 1, TRUE), ('h-2', 'Lielā zāle', 2, TRUE), ('h-3', 'Joga', NULL, TRUE);
INSERT INTO booking (public_id, hall_id, starts_at, ends_at, created_by, created_at, version)
  VALUES ('b-1', 3, '2030-01-01 10:00', '2030-01-01 11:00', 's-1', '2026-01-01', 1);
"""


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request, tmp_path):
    """An empty database of its own (the suite's shared ones are already at the head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/sites.sqlite3"
        return
    name = f"clubsite_sites_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _all(sql):
    return [tuple(row) for row in db.session.execute(sa.text(sql)).all()]


def test_sites_migration_keeps_the_data_both_ways(fresh_database_url, tmp_path):
    """Up: halls at sites, staff sites, sessions and bookings kept. Down: the same data back."""
    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(_config(instance, fresh_database_url), instance_path=str(instance))
    with app.app_context():
        upgrade(revision=BEFORE)
        for statement in ROWS.split(";"):
            if statement.strip():
                db.session.execute(sa.text(statement))
        db.session.commit()
        db.session.remove()

        upgrade(revision=SITES)
        assert _all("SELECT count(*) FROM staff_session") == [(1,)]
        assert _all("SELECT public_id, hall_id FROM booking") == [("b-1", 3)]
        assert _all("SELECT staff_id, location_id FROM staff_location") == [(1, 2)]
        assert _all("SELECT name, location_id FROM hall ORDER BY id") == [
            ("Lielā zāle", 1),
            ("Lielā zāle", 2),
            ("Joga", 3),
        ]
        assert _all("SELECT name, active FROM location WHERE id = 3") == [("Galvenā filiāle", True)]
        if db.engine.dialect.name == "sqlite":  # switched off for the rebuild, on again after
            assert _all("PRAGMA foreign_keys") == [(1,)]
            assert _all("PRAGMA foreign_key_check") == []
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.text(
                    "INSERT INTO hall (public_id, name, location_id, active) "
                    "VALUES ('h-4', 'Joga', 3, TRUE)"
                )
            )
        db.session.rollback()
        db.session.remove()  # PostgreSQL: no open read may hold up the migration's locks

        downgrade(revision=BEFORE)
        assert _all("SELECT count(*) FROM staff_session") == [(1,)]
        assert _all("SELECT id, location_id FROM staff_user ORDER BY id") == [(1, 2), (2, None)]
        assert _all("SELECT count(*) FROM booking") == [(1,)]
        db.session.remove()
        upgrade()
        db.session.remove()
        db.engine.dispose()
