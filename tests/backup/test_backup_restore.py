"""Backup then restore: every table round-trips exactly, erased members stay erased, and a bad
file or a newer schema is refused with the live database untouched."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import select

from clubsite.backup import service
from clubsite.backup.container import BackupError
from clubsite.backup.restore import restore_backup
from clubsite.demo import seed
from clubsite.extensions import db
from clubsite.members.service import erase_member, member_by_public_id
from clubsite.privacy import consent
from clubsite.privacy.audit import AuditEvent, head_hash, verify_chain
from clubsite.privacy.models import ErasureJournal, Member, Suppression
from tests.backup.helpers import database_rows
from tests.privacy.factories import JANIS, LIGA, enrol

SECRETS = [
    "Jānis",
    "Bērziņš",
    "janis.berzins",
    "2612 3456",
    "+37126123456",
    "LV80BANK",
    "Līga",
    "Ozoliņa",
    "liga.ozolina",
    "ilze.kalnina@klubs.lv",
    "Ilze Kalniņa",
]


@pytest.fixture
def club(app, make_staff):
    """A club with demo members, staff, an erased member and two members we know by name."""
    seed(40)
    make_staff("admin", name="Ilze Kalniņa", email="ilze.kalnina@klubs.lv")
    janis = enrol(JANIS, ["access", "fees", "newsletter"])
    liga = enrol(LIGA, ["bookings", "newsletter"])
    return janis.public_id, liga.public_id


def _message(exc):
    with force_locale("en"):
        return str(exc.message)


def test_round_trip_restores_every_table_exactly(app, club):
    """Rows of every table after restoring equal those at backup time; only the restore's own
    audit event is added, and the audit chain stays intact."""
    before = database_rows()
    assert sum(len(rows) for rows in before.values()) > 500
    head = head_hash()
    path = service.create_backup().path
    db.session.commit()
    enrol({"first_name": "Pēteris", "last_name": "Liepa", "email": "peteris@example.lv"}, ["fees"])
    member = member_by_public_id(club[0])
    erase_member(member, actor="system")  # and its journal entry: replayed, see the next test
    db.session.execute(sa.delete(ErasureJournal).where(ErasureJournal.public_id == club[0]))
    db.session.commit()

    report = restore_backup(path, safety_backup=False)

    after = database_rows()
    new_audit = set(after.pop("audit_event")) - set(before.pop("audit_event"))
    assert len(new_audit) == 1
    assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))][
        -1
    ] == "backup.restored"
    after.pop("audit_head")
    before.pop("audit_head")
    # The erasure put Jānis's address on the do-not-mail list, and a restore keeps that list.
    added = {row[0] for row in after.pop("suppression")} - {r[0] for r in before.pop("suppression")}
    assert added == {consent.address_hash(JANIS["email"])}
    # Every link mailed before the restore is revoked: each member's link generation moved on.
    generations = after.pop("link_generation")
    assert before.pop("link_generation") == []
    assert sorted(row[1] for row in generations) == [1] * len(before["member"])
    assert after == before
    assert verify_chain() is None
    assert report.erased_again == 0
    assert report.manifest["tables"]["member"] == len(before["member"])
    assert report.manifest["audit_head"] == head
    restored = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert restored.prev_hash == head  # the restored log goes on from the backup's head


def test_member_erased_after_the_backup_stays_erased(app, club):
    """The live erasure journal is replayed: the member is erased again, the journal kept."""
    janis_id, liga_id = club
    path = service.create_backup().path
    db.session.commit()
    erase_member(member_by_public_id(janis_id), actor="system", reason="request")
    late = enrol({"first_name": "Anna", "last_name": "Kalna", "email": "anna@example.lv"}, ["fees"])
    late_id = late.public_id
    erase_member(late, actor="system", reason="request")
    consent.suppress("liga.ozolina@example.lv", "withdrawn")
    db.session.commit()
    suppressed = consent.address_hash("liga.ozolina@example.lv")
    erased_at = db.session.scalar(
        select(ErasureJournal.erased_at).where(ErasureJournal.public_id == janis_id)
    )

    report = restore_backup(path, safety_backup=False)

    assert member_by_public_id(janis_id) is None
    assert member_by_public_id(liga_id) is not None
    journal = {e.public_id: e.reason for e in db.session.scalars(select(ErasureJournal))}
    assert journal[janis_id] == "request" and late_id in journal
    kept_at = db.session.scalar(
        select(ErasureJournal.erased_at).where(ErasureJournal.public_id == janis_id)
    )
    assert kept_at.replace(tzinfo=None) == erased_at.replace(tzinfo=None)  # the original time
    assert db.session.get(Suppression, suppressed) is not None
    assert (report.erased_again, report.journal_added, report.suppressions_added) == (1, 1, 1)


def _flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("wrong_key", "different backup key"),
        ("truncated", "truncated"),
        ("flip_header", "different backup key"),
        ("flip_middle", "damaged"),
        ("flip_last", "damaged"),
        ("not_a_backup", "not a clubsite backup"),
    ],
)
def test_bad_file_is_refused_and_nothing_changes(app, club, damage, expected):
    """Each refusal names the problem in one line and leaves the live database as it was."""
    path = service.create_backup().path
    db.session.commit()
    db.session.delete(db.session.scalar(select(Member).order_by(Member.id).limit(1)))
    db.session.commit()
    if damage == "wrong_key":
        app.config["BACKUP_KEY"] = "another-backup-key-0123456789"
    elif damage == "truncated":
        _truncate(path)
    elif damage == "flip_header":
        _flip(path, 9)  # inside the key fingerprint
    elif damage == "flip_middle":
        _flip(path, path.stat().st_size // 2)
    elif damage == "flip_last":
        _flip(path, path.stat().st_size - 1)
    else:
        path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    before = database_rows()

    with pytest.raises(BackupError) as caught:
        restore_backup(path, safety_backup=False)

    message = _message(caught.value)
    assert expected in message and "\n" not in message
    assert database_rows() == before
    with pytest.raises(BackupError):
        service.verify_backup(path)


def test_backup_from_a_newer_schema_is_refused(app, club, runner):
    """A backup whose schema revision this code does not know is refused; nothing changes."""
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    db.session.commit()
    path = service.create_backup().path
    db.session.execute(
        sa.text("UPDATE alembic_version SET version_num = :head"), {"head": _head(app)}
    )
    db.session.commit()
    before = database_rows()

    result = runner.invoke(args=["backup", "restore", str(path), "--yes"])

    assert result.exit_code == 1
    assert "ffffffffffff" in result.output
    assert database_rows() == before


def _head(app):
    from alembic.script import ScriptDirectory

    return ScriptDirectory(app.extensions["migrate"].directory).get_current_head()


def test_backup_file_holds_no_plaintext_personal_data(app, club):
    """Names, emails, phones and codes written to the database appear nowhere in the file."""
    path = service.create_backup().path
    raw = path.read_bytes()
    assert len(raw) > 10_000
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, secret
    if db.engine.dialect.name == "sqlite":
        # The staff table holds email addresses in the clear: the file shows they were hidden.
        live = service.sqlite_path()
        live = live.read_bytes() + live.with_name(live.name + "-wal").read_bytes()
        assert b"ilze.kalnina@klubs.lv" in live


def test_verify_and_list_from_the_command_line(app, club, runner):
    """`backup create`, `list` and `verify` work end to end and report what they found."""
    created = runner.invoke(args=["backup", "create"])
    assert created.exit_code == 0, created.output
    name = service.list_backups()[0].name
    head = service.describe(service.list_backups()[0].path)["audit_head"]
    listed = runner.invoke(args=["backup", "list"])
    assert name in listed.output and "members" in listed.output
    assert f"audit head {head[:16]}" in listed.output
    verified = runner.invoke(args=["backup", "verify", name])
    assert verified.exit_code == 0 and verified.output.startswith("OK")
    assert f"Audit head at backup time: {head}" in verified.output
    _flip(service.backup_dir() / name, 200)
    broken = runner.invoke(args=["backup", "verify", name])
    assert broken.exit_code == 1 and "Error:" in broken.output


def test_restore_from_the_command_line_keeps_a_safety_backup(app, club, runner):
    """The CLI restore first backs up the current database, so the restore can be undone."""
    path = service.create_backup().path
    db.session.commit()
    enrol({"first_name": "Rūta", "last_name": "Zariņa", "email": "ruta@example.lv"}, ["fees"])
    count_after = db.session.scalar(select(sa.func.count()).select_from(Member))

    result = runner.invoke(args=["backup", "restore", path.name, "--yes"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(sa.func.count()).select_from(Member)) == count_after - 1
    safety = [b for b in service.list_backups() if b.path != path]
    assert len(safety) == 1
    assert service.describe(safety[0].path)["tables"]["member"] == count_after


def test_backup_needing_a_retired_data_key_is_refused(app, club):
    """After a key rotation and retirement, an older backup names the key it needs."""
    from clubsite.privacy import keys

    path = service.create_backup().path
    db.session.commit()
    old, _new, _count = keys.rotate()
    keys.retire(old)
    before = database_rows()

    with pytest.raises(BackupError) as caught:
        restore_backup(path, safety_backup=False)

    assert f"needs data key(s) {old}" in _message(caught.value)
    assert database_rows() == before


def test_member_erased_while_the_restore_runs_stays_erased(app, club, monkeypatch):
    """An erasure committed after the restore read the journal is still replayed."""
    from clubsite.backup import restore as restore_module

    janis_id = club[0]
    path = service.create_backup().path
    db.session.commit()
    real_create = restore_module.create_backup

    def erase_meanwhile(**kwargs):
        # A staff member erases Jānis just before the safety backup, late in the restore.
        erase_member(member_by_public_id(janis_id), actor="system", reason="request")
        db.session.commit()
        return real_create(**kwargs)

    monkeypatch.setattr(restore_module, "create_backup", erase_meanwhile)

    report = restore_backup(path)

    assert member_by_public_id(janis_id) is None
    assert db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == janis_id))
    assert report.erased_again == 1
