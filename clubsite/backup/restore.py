"""Restore a backup without losing or resurrecting anyone, and without ever half-restoring.

1. Decrypt and check the whole file (key, every chunk, checksum) and its schema revision.
2. Read the live erasure journal and suppression list (before anything changes).
3. Rebuild the backup beside the live database (clubsite.backup.stages: a SQLite file, or a
   scratch schema on PostgreSQL), check its row counts and migrate it to the current schema.
4. There, erase again everyone the live journal lists (members.service.erase_member, so erasure
   hooks run), add the live suppressions, end all staff sessions and unused setup links; check
   references and that the current key ring can decrypt every value.
5. Only then replace the live database in one step (see stages). Any failure before that leaves
   the live database as it was.

The restored database's audit log goes on from the backup's head with a `backup.restored` event
(in the same keyed chain), naming the file, the head it was restored to and the live head it
replaced: the events after the backup are gone on purpose, and that event says so.
"""

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, delete, literal, select, update

from clubsite.backup.container import BackupError, extract_backup
from clubsite.backup.schema import check_live_at_head, check_revision
from clubsite.backup.service import backup_key, create_backup, sqlite_path, work_dir
from clubsite.backup.stages import JournalMoved, PostgresStage, SqliteStage
from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.jobs.models import JobRun
from clubsite.outbox.models import OPEN_STATUSES, OutboxMessage
from clubsite.privacy import audit
from clubsite.privacy.models import ErasureJournal, Member, Suppression

REPLAY_BATCH = 200


@dataclass
class RestoreReport:
    """What a restore did (no personal data: counts and file names)."""

    manifest: dict
    erased_again: int = 0
    journal_added: int = 0
    suppressions_added: int = 0
    safety_backup: Path | None = None
    seconds: float = 0.0


def restore_backup(path, *, safety_backup=True, actor=None):
    """Replace the live database with a backup, replaying later erasures. All or nothing.

    actor: who restores (an Actor, a staff member's ("staff", public id)); None: the system.
    """
    started = time.perf_counter()
    actor = as_actor(actor)
    with work_dir() as work:
        payload = work / "payload"
        manifest = extract_backup(path, backup_key(), payload)
        revision = manifest.get("schema_revision")
        head = check_revision(revision)
        live_file = sqlite_path()
        if live_file is None:
            check_live_at_head(head)
        live_head = audit.head_hash()
        guards = _read_guards()
        report = RestoreReport(manifest)
        with _stage(work, live_file) as stage:
            stage.load(manifest, payload, lambda rev: flask_migrate.upgrade(revision=rev))
            with stage.app():
                restored_head = audit.head_hash()  # the backup's own (its manifest's audit_head)
                db.session.rollback()  # end the read: on SQLite it holds the lock a migration needs
                if revision != head:
                    flask_migrate.upgrade()
                _replay(*guards, report)
                audit.record(
                    "backup.restored",
                    detail=_restored_detail(path, manifest, restored_head, live_head),
                    actor=actor,
                )
                db.session.commit()
            stage.check()
            if safety_backup:
                report.safety_backup = create_backup(actor=actor).path
                db.session.commit()
            _settle_and_install(stage, guards, report)
    report.seconds = time.perf_counter() - started
    return report


def _restored_detail(path, manifest, restored_head, live_head):
    """The restore event's detail: the file, its time, the backup's audit head and the live head
    it replaces (prefixes of the hashes)."""
    return (
        f"{Path(path).name} made {manifest.get('created_at', '?')[:19]}; "
        f"head {restored_head[:16]} replaces {live_head[:16]}"
    )[:200]


@contextlib.contextmanager
def _stage(work, live_file):
    stage = SqliteStage(work, live_file) if live_file is not None else PostgresStage()
    try:
        yield stage
    finally:
        stage.close()


def _settle_and_install(stage, guards, report):
    """Replay erasures made while the restore ran, then replace the live database.

    On PostgreSQL the install transaction locks the erasure journal and checks it, so nothing
    can slip in between; on SQLite the last look is taken just before the one-step copy.
    """
    for _attempt in range(5):
        latest = _read_guards()
        if latest != guards:
            with stage.app():
                _replay(*latest, report)
                db.session.commit()
            guards = latest
        try:
            stage.install(guards)
            return
        except JournalMoved:
            continue
    raise BackupError(_l("Members are being erased right now; try the restore again later."))


def _read_guards():
    """The live erasure journal and suppression list, read before anything is replaced."""
    journal = db.session.execute(
        select(ErasureJournal.public_id, ErasureJournal.erased_at, ErasureJournal.reason)
    ).all()
    suppressions = db.session.execute(
        select(Suppression.address_hash, Suppression.created_at, Suppression.reason)
    ).all()
    db.session.rollback()  # end the read transaction: SQLite readers here hold the write lock
    return journal, suppressions


def _replay(journal, suppressions, report):
    """Erase again whoever the live database had erased; keep the live do-not-mail list.

    Runs in the staged copy, which is thrown away if anything fails, so it commits every
    REPLAY_BATCH erasures: the session stays small and thousands of erasures take linear time.
    """
    from clubsite.staff.models import SetupToken, StaffSession

    known = set(db.session.scalars(select(ErasureJournal.public_id)))
    missing = [entry for entry in journal if entry[0] not in known]
    for start in range(0, len(missing), REPLAY_BATCH):
        _erase_again(missing[start : start + REPLAY_BATCH], report)
        db.session.commit()
        db.session.expunge_all()
    present = set(db.session.scalars(select(Suppression.address_hash)))
    for address_hash, created_at, reason in suppressions:
        if address_hash not in present:
            db.session.add(
                Suppression(address_hash=address_hash, created_at=created_at, reason=reason)
            )
            report.suppressions_added += 1
    # Sessions and links from the backup's time may since have been ended or used.
    db.session.execute(delete(StaffSession))
    db.session.execute(delete(SetupToken).where(SetupToken.used_at.is_(None)))
    _revoke_member_links()
    # Mail that waited at the backup's time has most likely gone out since: sending it again
    # would mail people twice (with links of that time). Leases of that time hold nothing now.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.status.in_(OPEN_STATUSES)))
    db.session.execute(update(JobRun).values(lease_owner=None, lease_until=None))


def _revoke_member_links():
    """End every "My data" session and every link mailed before the restore.

    A link revoked since the backup (an address change) would otherwise work again: moving
    every member's link generation on makes all older links expire. The tables belong to the
    public face, so they are named here rather than imported.
    """
    tables = db.metadata.tables
    db.session.execute(delete(tables["member_session"]))
    generations = tables["link_generation"]
    now = utcnow()
    db.session.execute(
        update(generations).values(generation=generations.c.generation + 1, changed_at=now)
    )
    without = select(Member.id, literal(1), literal(now, DateTime(timezone=True))).where(
        ~Member.id.in_(select(generations.c.member_id))
    )
    db.session.execute(
        generations.insert().from_select(["member_id", "generation", "changed_at"], without)
    )


def _erase_again(entries, report):
    """erase_members (with every erasure hook) for those present; a journal entry for the rest.
    The journal keeps the original time of each erasure."""
    from clubsite.members.service import erase_members

    members = {
        m.public_id: m
        for m in db.session.scalars(
            select(Member).where(Member.public_id.in_([e[0] for e in entries]))
        )
    }
    present = {}
    for public_id, _erased_at, reason in entries:
        if public_id in members:
            present.setdefault(reason, []).append(members[public_id])
            report.erased_again += 1
        else:
            report.journal_added += 1
            db.session.add(ErasureJournal(public_id=public_id, reason=reason))
    for reason, group in present.items():
        erase_members(group, actor="system", reason=reason)
    db.session.flush()
    times = {public_id: erased_at for public_id, erased_at, _reason in entries}
    for entry in db.session.scalars(
        select(ErasureJournal).where(ErasureJournal.public_id.in_(list(times)))
    ):
        entry.erased_at = times[entry.public_id]
