"""The keyed audit chain: every kind of tampering is caught by `audit verify`, the admin checks it
with a POST, backups record its head, restores continue it, and the migration re-keys old logs."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, select, update

from clubsite.backup import service
from clubsite.backup.restore import restore_backup
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy.audit import GENESIS, HASHED, AuditEvent, AuditHead
from tests.conftest import csrf_token

PLAIN_REVISION = "a64563b1fb11"  # the revision before: events hashed with plain SHA-256


def _add_events(count=6):
    """Real events, appended by the commit hook as in production; their ids in order."""
    for n in range(count):
        audit.record(
            f"test.event{n}",
            subject=f"subject-{n}",
            fields=["email", "phone"][: n % 3],
            detail=f"n{n}",
            actor=Actor.system(),
        )
    db.session.commit()
    return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def _rows():
    columns = [AuditEvent.id, AuditEvent.hash, *(getattr(AuditEvent, n) for n in HASHED)]
    return [r._asdict() for r in db.session.execute(select(*columns).order_by(AuditEvent.id))]


def _rechain(hasher):
    """What someone with database access but without the key can do: recompute every hash."""
    prev = GENESIS
    for values in _rows():
        values["prev_hash"] = prev
        prev = hasher(values)
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == values["id"])
            .values(prev_hash=values["prev_hash"], hash=prev)
        )
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))
    db.session.commit()


def _plain_sha256(values):
    return hashlib.sha256(audit.canonical(values).encode()).hexdigest()


def _verify(runner, *args):
    db.session.commit()
    return runner.invoke(args=["audit", "verify", *args])


def _assert_broken_at(result, event_id, reason):
    assert result.exit_code == 1, result.output
    assert f"audit log broken at event {event_id}: {reason}" in result.output


# --- `flask audit verify`: the intact log, and each kind of tampering ---


def test_intact_log_verifies(app, runner):
    """Exit 0 and the number of events."""
    ids = _add_events()
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"audit log intact: {len(ids)} events"


def test_a_batch_is_chained_as_each_event_alone(app, runner):
    """record_many's batch (repeated time, actor and action; subjects, field names and details
    that differ, non-ASCII and None among them) is hashed exactly as chain_hash hashes one
    stored event, link by link from the head, and verifies."""
    _add_events(2)
    staff = Actor.staff("00000000-0000-4000-8000-000000000001")
    audit.record_many(
        "test.batch",
        [("s-1", ["phone", "email"]), ("s-2", (), 'ē/š "x"'), (None, ["card_number"])],
        actor=staff,
        detail="grace",
    )
    audit.record_many("test.other", [("s-3", ())], actor=Actor.system())
    db.session.commit()
    key = audit.audit_key()
    rows = _rows()
    assert [(r["subject_id"], r["fields"], r["detail"]) for r in rows[2:]] == [
        ("s-1", "email,phone", "grace"),
        ("s-2", "", 'ē/š "x"'),
        (None, "card_number", "grace"),
        ("s-3", "", ""),
    ]
    prev = GENESIS
    for row in rows:
        assert row["prev_hash"] == prev
        assert row["hash"] == audit.chain_hash(row, key)
        prev = row["hash"]
    assert audit.head_hash() == prev
    assert _verify(runner).exit_code == 0


def test_empty_log_verifies(app, runner):
    """A log with no event yet is intact (nothing to check, and the head is the genesis)."""
    result = _verify(runner)
    assert result.exit_code == 0 and "audit log intact: 0 events" in result.output


def test_changed_field_is_caught(app, runner):
    """An event whose content changed no longer matches its keyed hash."""
    ids = _add_events()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(fields="iban"))
    _assert_broken_at(_verify(runner), ids[2], audit.REASON_HASH)


def test_changed_time_is_caught(app, runner):
    """The time is hashed too: moving an event by a second shows."""
    ids = _add_events()
    at = db.session.get(AuditEvent, ids[1]).at
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == ids[1]).values(at=at + timedelta(seconds=1))
    )
    _assert_broken_at(_verify(runner), ids[1], audit.REASON_HASH)


def test_deleted_event_is_caught(app, runner):
    """The event after a deleted one points at a hash that is no longer there."""
    ids = _add_events()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[3]))
    _assert_broken_at(_verify(runner), ids[4], audit.REASON_LINK)


def test_whole_rows_swapped_are_caught(app, runner):
    """Two events moved to each other's place (id order is the log's order): the links break."""
    ids = _add_events()
    first, second = (db.session.get(AuditEvent, i) for i in (ids[1], ids[4]))
    moved = {c: (getattr(first, c), getattr(second, c)) for c in (*HASHED, "hash")}
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(hash="x" * 64))
    for column, (a, b) in moved.items():
        db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[4]).values({column: a}))
        db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values({column: b}))
    db.session.commit()
    assert db.session.get(AuditEvent, ids[1]).action == "test.event4"
    _assert_broken_at(_verify(runner), ids[1], audit.REASON_LINK)


def test_contents_swapped_are_caught(app, runner):
    """Two events' contents swapped with their hashes left in place: the keyed hash shows it."""
    ids = _add_events()
    content = ("at", "actor_type", "actor_id", "action", "subject_id", "fields", "detail")
    first, second = (db.session.get(AuditEvent, i) for i in (ids[2], ids[3]))
    a, b = ({c: getattr(e, c) for c in content} for e in (first, second))
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(b))
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[3]).values(a))
    _assert_broken_at(_verify(runner), ids[2], audit.REASON_HASH)


def test_deleted_and_rechained_with_plain_sha256_is_caught(app, runner):
    """Recomputing the chain with plain SHA-256 (no key) fails at the very first event."""
    ids = _add_events()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
    _rechain(_plain_sha256)
    _assert_broken_at(_verify(runner), ids[0], audit.REASON_HASH)


def test_deleted_and_rechained_under_another_key_is_caught(app, runner):
    """Recomputing the chain with HMAC under a key of one's own fails at the first event too."""
    ids = _add_events()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
    other = b"not-the-audit-key-" + app.config["AUDIT_KEY"].encode()
    _rechain(lambda v: hmac.new(other, audit.canonical(v).encode(), hashlib.sha256).hexdigest())
    _assert_broken_at(_verify(runner), ids[0], audit.REASON_HASH)
    # The same recomputation with the real key passes: the key is what makes the difference.
    _rechain(lambda v: audit.chain_hash(v, audit.audit_key()))
    assert _verify(runner).exit_code == 0


def test_newest_event_cut_off_is_caught_while_the_head_remains(app, runner):
    """The head row still names the deleted newest event."""
    ids = _add_events()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"audit log broken at its head: {audit.REASON_HEAD}" in result.output


def test_cut_off_with_the_head_rewritten_shows_only_against_a_head_kept_elsewhere(app, runner):
    """Cutting the newest events and rewriting the head leaves an intact chain (the documented
    limit); a head recorded before (a backup manifest's) is no longer reached."""
    ids = _add_events()
    recorded = audit.head_hash()
    assert _verify(runner, "--head", recorded).exit_code == 0
    earlier = db.session.get(AuditEvent, ids[-3]).hash
    db.session.execute(delete(AuditEvent).where(AuditEvent.id > ids[-3]))
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=earlier))
    assert _verify(runner).exit_code == 0
    result = _verify(runner, "--head", recorded)
    assert result.exit_code == 1
    assert f"does not reach head {recorded}" in result.output


def test_time_in_another_zone_hashes_the_same(app):
    """PostgreSQL hands times back in its session's zone: the hashed form is UTC whatever the
    zone, so the same moment always gives the same hash."""
    values = {name: "x" for name in HASHED}
    values["at"] = datetime(2026, 12, 1, 9, 15, tzinfo=UTC_PLUS_2)
    same_moment = {**values, "at": datetime(2026, 12, 1, 7, 15)}  # naive: UTC, as SQLite returns
    key = audit.audit_key()
    assert audit.chain_hash(values, key) == audit.chain_hash(same_moment, key)


UTC_PLUS_2 = timezone(timedelta(hours=2))


# --- the back office: verification only by POST, admins only ---


@pytest.fixture
def admin(client_for):
    """An admin's client, in English."""
    client = client_for("admin")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})
    return client


def _post_verify(client, url="/office/audit/verify"):
    token = csrf_token(client, "/office/audit")
    return client.post(url, data={"csrf_token": token})


def test_admin_verifies_by_post_and_sees_the_chain_intact(app, admin):
    """The button's POST walks the chain, shows the count and head, and is itself audited."""
    page = admin.get("/office/audit").get_data(as_text=True)
    assert 'action="/office/audit/verify"' in page and "The chain is" not in page
    count = db.session.scalar(select(sa.func.count(AuditEvent.id)))
    head = audit.head_hash()

    response = _post_verify(admin)

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"The chain is intact (events checked: {count})" in text
    assert head in text
    checked = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert checked.action == "audit.verified"
    assert checked.actor_id == admin.staff_user.public_id
    assert checked.detail == f"intact, {count} events"
    assert "audit.verified" in text  # the page is rendered after the write: it lists the event


def test_admin_sees_where_the_chain_is_broken(app, admin):
    """A changed event is named with the reason, in words."""
    ids = _add_events()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(detail="moved"))
    db.session.commit()

    text = _post_verify(admin).get_data(as_text=True)

    assert f"The chain is broken at event {ids[1]}" in text
    assert "it has been changed, or hashed without the audit key" in text
    newest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (newest.action, newest.detail) == ("audit.verified", f"broken at {ids[1]}")


def test_broken_head_is_shown(app, admin):
    """A cut-off newest event (head left as it was) is reported as the chain's end."""
    ids = _add_events()
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))
    db.session.commit()
    text = _post_verify(admin).get_data(as_text=True)
    assert "The chain is broken after its last event" in text


def test_result_in_latvian(app, client_for):
    """The default language: the outcome is translated."""
    client = client_for("admin")
    text = _post_verify(client).get_data(as_text=True)
    assert "Ķēde ir neskarta" in text


def test_get_never_verifies(app, admin):
    """The old ?verify=1 link does nothing: no result, no audit.verified event; the verify URL
    itself takes no GET."""
    ids = _add_events()
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[0]).values(fields="x"))
    db.session.commit()
    text = admin.get("/office/audit?verify=1").get_data(as_text=True)
    assert "The chain is" not in text
    assert admin.get("/office/audit/verify").status_code == 405
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "audit.verified" not in actions


def test_post_without_csrf_is_refused(app, admin):
    """Without the token nothing is walked or recorded."""
    response = admin.post("/office/audit/verify", data={})
    assert response.status_code == 400
    assert "audit.verified" not in db.session.scalars(select(AuditEvent.action)).all()


@pytest.mark.parametrize("role", ["accountant", "reception", "marketing", "staff"])
def test_other_roles_may_not_verify(app, client_for, role):
    """Only admins hold audit.view: everyone else gets 403 on the page and on the POST."""
    client = client_for(role)
    token = csrf_token(client, "/office/")
    assert client.get("/office/audit").status_code == 403
    assert client.post("/office/audit/verify", data={"csrf_token": token}).status_code == 403


# --- backups record the head; a restore continues the chain ---


def test_backup_manifest_records_the_head_at_backup_time(app, runner):
    """The manifest's audit_head is the log's head when the snapshot was taken."""
    _add_events()
    head = audit.head_hash()
    result = service.create_backup()
    db.session.commit()  # its own backup.created event comes after the snapshot
    assert result.manifest["audit_head"] == head
    assert service.describe(result.path)["audit_head"] == head
    assert audit.head_hash() != head
    assert _verify(runner, "--head", head).exit_code == 0
    shown = runner.invoke(args=["backup", "verify", result.path.name])
    assert shown.exit_code == 0 and f"Audit head at backup time: {head}" in shown.output


def test_restore_appends_backup_restored_in_the_restored_log(app, make_staff, runner):
    """After a restore the newest event is backup.restored, by the staff member given, chained
    on the backup's head; the events made after the backup are gone, and the event names the
    head they ended at."""
    _add_events(3)
    result = service.create_backup()
    db.session.commit()
    _add_events(2)
    staff_id = make_staff("admin").public_id  # the restore ends the session its object is in
    replaced = audit.head_hash()

    restore_backup(result.path, safety_backup=False, actor=Actor.staff(staff_id))

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    newest = events[-1]
    assert newest.action == "backup.restored"
    assert (newest.actor_type, newest.actor_id) == ("staff", staff_id)
    assert newest.prev_hash == result.manifest["audit_head"]
    assert f"head {result.manifest['audit_head'][:16]} replaces {replaced[:16]}" in newest.detail
    assert audit.head_hash() == newest.hash
    assert _verify(runner).exit_code == 0


def test_restore_by_the_system(app):
    """Without an actor the restore event is the system's."""
    _add_events(2)
    path = service.create_backup().path
    db.session.commit()
    restore_backup(path, safety_backup=False)
    newest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (newest.action, newest.actor_type, newest.actor_id) == (
        "backup.restored",
        "system",
        None,
    )


# --- the migration: a plain SHA-256 log is re-keyed ---


@pytest.fixture
def plain_revision(app):
    """The database at the revision before the keyed chain, with an empty log; back at the head
    afterwards whatever happens (the PostgreSQL test database is shared by the whole run)."""
    db.session.commit()
    db.session.remove()
    downgrade(revision=PLAIN_REVISION)
    db.session.execute(delete(AuditEvent))
    db.session.execute(delete(AuditHead))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.remove()
        upgrade()


def _insert_plain_log(count=5):
    """A log as the previous code wrote it: chained with plain SHA-256."""
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # as the code stores them (SQLite keeps no zone)
    prev = GENESIS
    for n in range(count):
        values = {
            "at": at + timedelta(minutes=n),
            "actor_type": "staff",
            "actor_id": f"staff-{n}",
            "action": "member.read",
            "subject_id": f"member-{n}",
            "fields": "email,phone",
            "detail": "",
            "prev_hash": prev,
        }
        values["hash"] = prev = _plain_sha256(values)
        db.session.execute(sa.insert(AuditEvent).values(values))
    db.session.add(AuditHead(id=1, hash=prev))
    db.session.commit()
    db.session.remove()


def _upgrade():
    """Up through the keyed chain's migration to the current head, as `db upgrade` does."""
    db.session.remove()
    upgrade()


def test_migration_rekeys_an_intact_plain_log(app, runner, plain_revision):
    """Every old event is re-chained under the audit key, in order, with its content kept, and
    one audit.rekeyed event records that the old chain was intact."""
    _insert_plain_log(5)
    assert audit.verify().broken_at is not None  # plain hashes do not pass the keyed check
    before = [(r["id"], r["action"], r["subject_id"]) for r in _rows()]

    _upgrade()

    rows = _rows()
    assert [(r["id"], r["action"], r["subject_id"]) for r in rows[:5]] == before
    assert rows[-1]["action"] == "audit.rekeyed"
    assert rows[-1]["detail"] == "sha256 intact; 5 events"
    result = _verify(runner)
    assert result.exit_code == 0 and "audit log intact: 6 events" in result.output


def test_migration_records_a_broken_plain_log(app, runner, plain_revision):
    """A log already tampered with is not silently blessed: the finding is in the keyed chain."""
    _insert_plain_log(5)
    third = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[2]
    db.session.execute(update(AuditEvent).where(AuditEvent.id == third).values(fields="iban"))
    db.session.commit()

    _upgrade()

    newest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (newest.action, newest.detail) == (
        "audit.rekeyed",
        f"sha256 broken at {third}; 5 events",
    )
    assert _verify(runner).exit_code == 0


def test_migration_on_an_empty_log_adds_no_row(app, runner, plain_revision):
    """Nothing to re-chain and no row added (a restore into PostgreSQL loads a backup's rows
    into a schema migrated while empty); the first append then starts the chain."""
    _upgrade()
    assert db.session.scalar(select(sa.func.count(AuditHead.id))) == 0
    assert db.session.scalar(select(sa.func.count(AuditEvent.id))) == 0
    assert audit.verify().intact
    _add_events(2)
    assert _verify(runner).exit_code == 0


def test_downgrade_goes_back_to_plain_sha256(app):
    """The downgrade re-chains with plain SHA-256, which the previous code verified; upgrading
    again re-keys it."""
    ids = _add_events(4)
    db.session.remove()
    try:
        downgrade(revision=PLAIN_REVISION)
        rows = _rows()
        assert [r["id"] for r in rows] == ids
        prev = GENESIS
        for values in rows:
            assert values["prev_hash"] == prev and values["hash"] == _plain_sha256(values)
            prev = values["hash"]
        assert db.session.scalar(select(AuditHead.hash)) == prev
    finally:
        db.session.rollback()
        db.session.remove()
        upgrade()
    assert audit.verify().intact


def test_restoring_a_backup_from_before_the_keyed_chain_rekeys_it(app, runner, plain_revision):
    """A backup of a plain SHA-256 log is migrated while it is restored: its events are re-keyed
    (with the finding recorded), and backup.restored follows in the same keyed chain."""
    _insert_plain_log(4)
    result = service.create_backup()
    db.session.commit()
    assert result.manifest["schema_revision"] == PLAIN_REVISION
    _upgrade()

    restore_backup(result.path, safety_backup=False)

    actions = [r["action"] for r in _rows()]
    assert actions == ["member.read"] * 4 + ["audit.rekeyed", "backup.restored"]
    rekeyed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.rekeyed"))
    assert rekeyed.one().detail == "sha256 intact; 4 events"
    verified = _verify(runner)
    assert verified.exit_code == 0 and "audit log intact: 6 events" in verified.output
