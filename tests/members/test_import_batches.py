"""The member import writes in batches: each batch its own short transaction (another connection
can write between two batches, not during one), a person registered meanwhile is skipped, an
import stopped part way is finished by running the same file again, and the audit chain holds."""

import gc
import re
import sqlite3

import pytest
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select, text

from clubsite.extensions import db
from clubsite.members import import_files, import_writer, importer, service
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ConsentEvent, Member, MemberNameToken, MemberPurpose
from tests.conftest import csrf_token
from tests.members.test_import import MAPPING, _submit, _upload

HEADER = "Vārds;Uzvārds;E-pasts;Tālrunis;Piekrišana"


def _rows(count, start=0):
    return [f"Anna{chr(97 + i % 26)};Liepa;anna{i}@example.lv;;" for i in range(start, count)]


def _table(rows):
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    return import_files.read_table("members.csv", data)


def _plan(rows, purposes=("access", "fees")):
    options = importer.check_options(list(purposes), {})
    table = _table(rows)
    return importer.plan_import(table, importer.guess_mapping(table.headers), options), options


def _count(model):
    return db.session.scalar(select(db.func.count()).select_from(model))


def _sqlite_path(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("the lock is SQLite's")
    return url.removeprefix("sqlite:///")


def _try_to_write(path):
    """True if another connection gets the write lock at once (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


class _Watch:
    """While watching: at each commit of the app's sessions, whether another connection could
    write just before it (inside the transaction) and just after it, and how many members
    another connection sees then."""

    def __init__(self, path):
        self.path = path
        self.during, self.after, self.members = [], [], []

    def _before(self, session):
        self.during.append(_try_to_write(self.path))

    def _after(self, session):
        self.after.append(_try_to_write(self.path))
        other = sqlite3.connect(self.path)
        self.members.append(other.execute("SELECT count(*) FROM member").fetchone()[0])
        other.close()

    def __enter__(self):
        event.listen(Session, "before_commit", self._before)
        event.listen(Session, "after_commit", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(Session, "before_commit", self._before)
        event.remove(Session, "after_commit", self._after)


def test_more_rows_than_a_batch_are_committed_batch_by_batch(app):
    """10 rows in batches of 4: three transactions, each holding the write lock only while it
    runs; another connection can write between them and sees the members arrive batch by
    batch. Every row is written once, with its enrolments, name tokens and audit event."""
    path = _sqlite_path(app)
    plan, options = _plan(_rows(10))
    assert len(plan.good) == 10
    db.session.commit()
    with _Watch(path) as watch:
        result = importer.run_batches(plan, options, actor="system", batch_rows=4)
    assert (result.imported, result.skipped, result.batches) == (10, [], 3)
    batch_commits = [i for i, count in enumerate(watch.members) if count]
    assert [watch.members[i] for i in batch_commits] == [4, 8, 10]
    assert all(watch.during[i] is False for i in batch_commits)  # locked inside a batch
    assert all(watch.after)  # free after each commit
    assert _count(Member) == 10 and _count(MemberPurpose) == 20
    members = db.session.scalars(select(Member)).all()
    for member in members:
        values = store.read(member, ["email", "card_number"])
        assert member.email_bidx == store.index_value("email", values["email"])
        assert member.email_suppression_hash == consent.address_hash(values["email"])
        assert member.card_number_bidx == store.index_value("card_number", values["card_number"])
        tokens = set(
            db.session.scalars(
                select(MemberNameToken.token).where(MemberNameToken.member_id == member.id)
            )
        )
        assert store.name_token("liepa") in tokens and store.name_token("an") in tokens
    assert len({m.card_number_bidx for m in members}) == 10
    created = db.session.scalars(
        select(AuditEvent.subject_id).where(AuditEvent.action == "member.created")
    ).all()
    assert sorted(created) == sorted(m.public_id for m in members)
    details = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "member.import")
    ).all()
    assert [d.split()[:2] for d in details] == [
        ["batch=1/3", "rows=4"],
        ["batch=2/3", "rows=4"],
        ["batch=3/3", "rows=2"],
    ]
    assert audit.verify().intact


def test_a_person_registered_between_batches_is_skipped(app):
    """Someone registers the person of a later batch while the import runs: that row is skipped
    as already a member (not a crash, not a duplicate), the others are imported."""
    plan, options = _plan(_rows(6))
    db.session.commit()
    done = []

    def register_after_the_first_batch(_session):
        if done:
            return
        with app.app_context():  # another session, as another request would be
            if not db.session.scalar(select(db.func.count(Member.id))):
                return  # not yet: the commit before the first batch
            done.append(True)
            service.enrol_member(
                {"first_name": "Anna", "last_name": "Liepa", "email": "ANNA5@example.lv"},
                ["bookings"],
                source="staff",
                actor="system",
            )
            db.session.commit()

    event.listen(Session, "after_commit", register_after_the_first_batch)
    try:
        result = importer.run_batches(plan, options, actor="system", batch_rows=3)
    finally:
        event.remove(Session, "after_commit", register_after_the_first_batch)
    assert done
    assert result.imported == 5 and result.skipped == [7]  # row 7 of the sheet: anna5
    assert _count(Member) == 6
    emails = [store.read(m, ["email"])["email"] for m in db.session.scalars(select(Member))]
    assert sorted(emails) == sorted(f"anna{i}@example.lv" for i in range(6))
    assert audit.verify().intact


def _stop_after(count):
    """Make the database refuse new members once it has count of them (a failing batch)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "CREATE FUNCTION stop_import() RETURNS trigger AS $$ BEGIN "
                f"IF (SELECT count(*) FROM member) >= {count} THEN RAISE EXCEPTION 'disk full'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER stop_import BEFORE INSERT ON member "
                "FOR EACH ROW EXECUTE FUNCTION stop_import()"
            )
        )
    else:
        db.session.execute(
            text(
                "CREATE TRIGGER stop_import BEFORE INSERT ON member "
                f"WHEN (SELECT count(*) FROM member) >= {count} "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    db.session.commit()


def _drop_trigger():
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP TRIGGER stop_import ON member"))
        db.session.execute(text("DROP FUNCTION stop_import()"))
    else:
        db.session.execute(text("DROP TRIGGER stop_import"))
    db.session.commit()


def test_running_again_after_a_failed_batch_imports_the_rest(app):
    """The second batch fails: the first stays imported (ImportInterrupted says how many); the
    same file checked and imported again adds the rest, without duplicates."""
    _stop_after(4)
    plan, options = _plan(_rows(10))
    with pytest.raises(importer.ImportInterrupted) as stopped:
        importer.run_batches(plan, options, actor="system", batch_rows=4)
    assert stopped.value.result.imported == 4
    assert gc.isenabled()  # the collector paused for the bulk work runs again
    assert _count(Member) == 4
    _drop_trigger()
    again, options = _plan(_rows(10))
    assert again.existing == [2, 3, 4, 5] and len(again.good) == 6
    result = importer.run_batches(again, options, actor="system", batch_rows=4)
    assert result.imported == 6
    emails = [store.read(m, ["email"])["email"] for m in db.session.scalars(select(Member))]
    assert sorted(emails) == sorted(f"anna{i}@example.lv" for i in range(10))
    assert _count(MemberPurpose) == 20
    assert audit.verify().intact


def test_the_web_import_writes_in_batches_and_reports_what_it_did(app, admin, monkeypatch):
    """Through the back office: 5 rows in batches of 2, three short writes; the result page
    counts imported, skipped and refused rows; the upload is gone; the chain intact."""
    path = _sqlite_path(app)
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    service.enrol_member(
        {"first_name": "Anna", "last_name": "Liepa", "email": "anna1@example.lv"},
        ["bookings"],
        source="staff",
        actor="system",
    )
    rows = [*_rows(6), "Bez;Adreses;nav-adrese;;"]
    url = _upload(admin, ("\n".join([HEADER, *rows]) + "\n").encode())
    with _Watch(path) as watch:
        page = _submit(admin, url, "import_valid", ["fees"], MAPPING, confirm_partial="y").get_data(
            as_text=True
        )
    assert "5 members have been imported." in page
    counts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page))
    assert counts == {"Imported": "5", "Skipped: already in the registry": "1", "Refused rows": "1"}
    assert "Already in the registry, not added again: rows 3." in page
    batch_commits = [i for i, count in enumerate(watch.members) if count > 1]
    assert [watch.members[i] for i in batch_commits] == [3, 5, 6]  # 1 before, then 2 + 2 + 1
    assert all(watch.during[i] is False for i in batch_commits)
    assert all(watch.after)
    assert _count(Member) == 6
    assert _count(import_files.ImportUpload) == 0
    batches = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "member.import")
    ).all()
    assert len(batches) == 3 and all("refused=1 existing=1" in d for d in batches)
    assert audit.verify().intact


def test_a_web_import_stopped_part_way_is_finished_by_importing_again(app, admin, monkeypatch):
    """A batch fails: the page says how many were imported and keeps the upload; importing the
    same file again adds the rest and skips those already imported."""
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    url = _upload(admin, ("\n".join([HEADER, *_rows(5)]) + "\n").encode())
    _stop_after(2)
    page = _submit(admin, url, "import", ["fees"], MAPPING).get_data(as_text=True)
    assert "The import stopped part way (members imported: 2)." in page
    assert "Already in the registry, not added again: rows 2, 3." in page  # the report, anew
    assert _count(Member) == 2 and _count(import_files.ImportUpload) == 1
    _drop_trigger()
    page = _submit(admin, url, "import", ["fees"], MAPPING).get_data(as_text=True)
    assert "3 members have been imported." in page
    assert "Already in the registry, not added again: rows 2, 3." in page
    assert _count(Member) == 5 and _count(import_files.ImportUpload) == 0
    assert audit.verify().intact


@pytest.fixture
def admin(client_for):
    """A trained admin's client, in English."""
    client = client_for("admin")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    return client


def test_the_writer_fills_every_column_the_models_have():
    """A column added to a model must be written by the import too (it bypasses the ORM)."""
    for model, columns in [
        (Member, import_writer.MEMBER_COLUMNS),
        (MemberPurpose, import_writer.PURPOSE_COLUMNS),
        (ConsentEvent, import_writer.EVENT_COLUMNS),
        (MemberNameToken, import_writer.TOKEN_COLUMNS),
    ]:
        expected = {c.key for c in model.__table__.columns} - (
            {"id"} if model is not Member else set()
        )
        assert set(columns) == expected, model.__name__


def test_newsletter_consent_events_carry_the_address_hash(app):
    """Rows with proof of consent get their ledger event ("given": staff never confirm) in
    their batch, each with the keyed hash of the address, as consent.record writes them."""
    rows = [f"Anna;Liepa;anna{i}@example.lv;;paper form {i}" for i in range(5)]
    options = importer.check_options(["newsletter"], {}, "Es piekrītu.")
    table = _table(rows)
    plan = importer.plan_import(table, importer.guess_mapping(table.headers), options)
    result = importer.run_batches(plan, options, actor="system", batch_rows=2)
    assert result.imported == 5 and result.batches == 3
    events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [e.kind for e in events] == ["given"] * 5
    for event_ in events:
        member = db.session.get(Member, event_.member_id)
        email = store.read(member, ["email"])["email"]
        assert event_.address_hash == consent.address_hash(email)
        assert event_.proof == f"paper form {email[4]}"
    assert audit.verify().intact
