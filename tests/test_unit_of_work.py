"""The unit of work: reads run beside a writer, writes queue and succeed, the read audit fails
closed, and domain errors become the right status. On SQLite and PostgreSQL."""

import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import template_rendered
from sqlalchemy import func, select

from clubsite.domain import NotFound, Stale
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy.access import AccessDenied
from clubsite.privacy.audit import AuditEvent
from clubsite.unit_of_work import WriteOutsideUnit
from tests.conftest import csrf_token
from tests.privacy.factories import JANIS, LIGA, enrol

READERS = 6


@pytest.fixture
def members(app):
    """Two members reception may see."""
    return [enrol(JANIS, ["access", "fees"]), enrol(LIGA, ["access"])]


@contextmanager
def write_lock_held(app):
    """Another connection holds what a writer needs: SQLite's write lock, PostgreSQL's audit head.

    On PostgreSQL the old design locked the audit head row for the whole of every audited page.
    """
    db.session.commit()  # the test's own session holds nothing meanwhile
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        if engine.dialect.name == "sqlite":
            conn.isolation_level = None
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute(
                "INSERT INTO audit_head (id, hash) VALUES (1, %s) ON CONFLICT DO NOTHING",
                ["0" * 64],
            )
            conn.commit()
            cursor.execute("SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE")
        yield
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()


def _in_threads(app, count, job):
    """Start job(i) in count threads, each in an app context of its own, as a server would."""
    results, threads = [None] * count, []
    for i in range(count):

        def run(i=i):
            with app.app_context():
                results[i] = job(i)

        threads.append(threading.Thread(target=run))
    for thread in threads:
        thread.start()
    return threads, results


def test_readers_render_while_a_writer_holds_the_lock(app, client_for, members):
    """Member pages are read and rendered beside a writer; only their audit append waits."""
    clients = [client_for("reception") for _ in range(READERS)]
    urls = [f"/office/members/{m.public_id}" for m in members]
    rendered = threading.Semaphore(0)

    def on_render(_sender, template, **_extra):
        if template.name == "backoffice/members/detail.html":
            rendered.release()

    template_rendered.connect(on_render, app)
    try:
        with write_lock_held(app):
            threads, results = _in_threads(app, READERS, lambda i: clients[i].get(urls[i % 2]))
            # Every reader gets through its queries and its template while the lock is held.
            for _ in range(READERS):
                assert rendered.acquire(timeout=8), "a read waited for the write lock"
        for thread in threads:
            thread.join(timeout=20)
    finally:
        template_rendered.disconnect(on_render, app)
    assert [r.status_code for r in results] == [200] * READERS
    viewed = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "member.read")
    )
    assert viewed == READERS  # each read was audited once the writer let go


def test_a_write_that_meets_another_write_waits_and_succeeds(app, client_for, members):
    """A correction made while another writer holds the lock lands when the lock is released."""
    client = client_for("admin")
    url = f"/office/members/{members[1].public_id}/edit"
    token = csrf_token(client, url)
    page = client.get(url).get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    with write_lock_held(app):
        threads, results = _in_threads(
            app,
            1,
            lambda _i: client.post(
                url,
                data={
                    "csrf_token": token,
                    "version": version,
                    "first_name": "Līga",
                    "last_name": "Kalniņa",
                },
            ),
        )
        time.sleep(0.5)
        assert threads[0].is_alive(), "the write did not wait for the lock"
    threads[0].join(timeout=20)
    assert results[0].status_code == 302
    from clubsite.privacy import fields

    db.session.expire_all()
    assert fields.read(members[1], ["last_name"])["last_name"] == "Kalniņa"


def _refuse_audit_inserts(app):
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            sa.text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
            )
        )
    else:
        db.session.execute(
            sa.text(
                "CREATE OR REPLACE FUNCTION refuse_audit() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            sa.text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_event "
                "FOR EACH ROW EXECUTE FUNCTION refuse_audit()"
            )
        )
    db.session.commit()


def _allow_audit_inserts():
    db.session.execute(
        sa.text(
            "DROP TRIGGER refuse_audit"
            + ("" if db.engine.dialect.name == "sqlite" else " ON audit_event")
        )
    )
    db.session.commit()


def test_a_read_whose_audit_cannot_be_written_shows_no_data(app, client_for, members):
    """Fail closed: when the read events cannot be appended, the page is an error without data."""
    client = client_for("reception")
    _refuse_audit_inserts(app)
    try:
        response = client.get(f"/office/members/{members[0].public_id}")
    finally:
        _allow_audit_inserts()
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Jānis" not in body and "Bērziņš" not in body
    assert response.headers["Cache-Control"].startswith("no-store")


@pytest.fixture
def probe_views(app):
    """Views that misbehave on purpose, registered before the first request."""

    def writes_outside_a_block():
        db.session.add(Location(name="Nelegālā zāle"))
        db.session.flush()
        return "written"

    def raises(kind):
        raise {"denied": AccessDenied("probe"), "gone": NotFound(), "stale": Stale()}[kind]

    app.add_url_rule("/_probe/write", view_func=writes_outside_a_block)
    app.add_url_rule("/_probe/raise/<kind>", view_func=raises)
    return app


def test_a_write_outside_a_block_is_refused_and_leaves_nothing(probe_views, client):
    """A request that writes without unit_of_work.write() fails and changes nothing."""
    with pytest.raises(WriteOutsideUnit):  # TESTING propagates it; in production a 500
        client.get("/_probe/write")
    assert db.session.scalar(select(Location).where(Location.name == "Nelegālā zāle")) is None


@pytest.mark.parametrize(("kind", "status"), [("denied", 403), ("gone", 404), ("stale", 409)])
def test_domain_errors_become_their_status(probe_views, client, kind, status):
    """AccessDenied answers 403 (not 500), NotFound 404, a stale version 409, with a message."""
    response = client.get("/_probe/raise/" + kind)
    assert response.status_code == status
    if kind == "stale":
        assert "kamēr jūs to labojāt" in response.get_data(as_text=True)
