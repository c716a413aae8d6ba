"""Fixtures for the whole suite: the app on a real SQLite file (and PostgreSQL when configured),
clients logged in per role, a real SMTP server, and a live server with headless Chromium."""

import os
import re
import shutil
import uuid

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from clubsite import create_app
from clubsite.extensions import db
from clubsite.outbox import send_due
from clubsite.privacy.crypto import KeyRing
from tests.support.mailbox import Mailbox

POSTGRES_URL = os.environ.get("CLUBSITE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
STAFF_PASSWORD = "correct horse battery staple 42"
KEY_RING_JSON = KeyRing.generate().to_json()


def _config(instance, database_url):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "DATA_KEYS": KEY_RING_JSON,
        "BACKUP_KEY": "test-backup-key-" + uuid.uuid4().hex,
        "DATABASE_URL": database_url,
        "MAIL_URL": f"file://{instance}/outbox",
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "TRUSTED_PROXIES": 0,
    }


def _upgrade(app):
    """Build the schema the way production does: with the Alembic migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        # Tables of models whose migration is not written yet (while a feature is being built);
        # tests/test_migrations.py fails until the migrations match the models.
        db.create_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    app = create_app(_config(folder, f"sqlite:///{path}"), instance_path=str(folder))
    _upgrade(app)
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A database of its own for this test process, migrated once and dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("CLUBSITE_TEST_POSTGRES_URL is not set")
    name = f"clubsite_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_migrated(postgres_database, tmp_path_factory):
    """The PostgreSQL test database with the schema applied."""
    folder = tmp_path_factory.mktemp("pg")
    _upgrade(create_app(_config(folder, postgres_database), instance_path=str(folder)))
    return postgres_database


def _truncate_all(app):
    """Empty every table the last test wrote to and restart the used sequences.

    One look-up finds the tables that hold rows; they are emptied with DELETE while triggers
    are off for the transaction (session_replication_role: the ledger's append-only guard and
    the foreign keys are triggers), a few milliseconds, where a TRUNCATE of the tables (with
    CASCADE, nearly all of them) took 0.2-0.3 s, a quarter of the suite's time. Without the
    right to switch triggers off (not a superuser), TRUNCATE it is.
    """
    with app.app_context():
        names = [t.name for t in reversed(db.metadata.sorted_tables)]
        probe = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names
        )
        used = db.session.execute(sa.text(probe)).scalars().all()
        try:
            db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for name in used:
                db.session.execute(sa.text(f'DELETE FROM "{name}"'))
        except sa.exc.DBAPIError:
            db.session.rollback()
            listed = ", ".join(f'"{name}"' for name in names)
            db.session.execute(sa.text(f"TRUNCATE {listed} CASCADE"))
        db.session.execute(
            sa.text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        )
        db.session.commit()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, sqlite_template):
    """A fresh, migrated database for one test: a copied SQLite file, or a truncated PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "clubsite.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_migrated")


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, like in production.

    The test's own session is committed first: its writes become visible to the request, and
    (under SQLite's BEGIN IMMEDIATE) it holds no lock the request would wait for.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    """The application on a fresh database, with a private instance folder."""
    instance = tmp_path / "instance"
    instance.mkdir()
    application = create_app(_config(instance, database_url), instance_path=str(instance))
    application.test_client_class = FreshContextClient
    if database_url.startswith("postgresql"):
        _truncate_all(application)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def domain_messages_in_english(app):
    """Domain errors raised outside a request read in English (the UI default is Latvian)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def client(app):
    """A test client (CSRF protection stays on)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask --app wsgi ...` commands."""
    return app.test_cli_runner()


def csrf_token(client, url):
    """Fetch a page and return the CSRF token of its first form."""
    page = client.get(url)
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    if not match:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} (status {page.status_code})"
    return match.group(1)


@pytest.fixture
def make_staff(app):
    """Create a staff member with a role who has acknowledged the policy and passed training."""
    from clubsite.staff import service

    def make(role="admin", *, email=None, trained=True, password=STAFF_PASSWORD, name=None):
        roles = role if isinstance(role, list | tuple) else [role]
        email = email or f"{roles[0]}-{uuid.uuid4().hex[:6]}@klubs.lv"
        user = service.create_staff(email, name or "Anna Bērziņa", list(roles), password)
        if trained:
            from clubsite.privacy.policy import mark_trained

            mark_trained(user)
        db.session.commit()
        return user

    return make


class AuthActions:
    """Log in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=STAFF_PASSWORD, follow_redirects=False):
        token = csrf_token(self.client, "/office/login")
        return self.client.post(
            "/office/login",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=follow_redirects,
        )

    def logout(self):
        token = csrf_token(self.client, "/office/")
        return self.client.post("/office/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """Login helper bound to the default client."""
    return AuthActions(client)


@pytest.fixture
def client_for(app, make_staff):
    """A new client logged in as a fresh staff member with the given role."""

    def make(role, **kwargs):
        user = make_staff(role, **kwargs)
        new_client = app.test_client()
        response = AuthActions(new_client).login(user.email)
        assert response.status_code == 302, "login failed"
        new_client.staff_user = user
        return new_client

    return make


@pytest.fixture
def mailbox(app):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 at a random port; the app's outbox job sends
    to it (mailbox.flush() and mailbox.wait_for() run the job, as the job runner would)."""
    box = Mailbox(deliver=send_due)
    box.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{box.port}"
    yield box
    box.stop()
