"""Proof of consent survives erasure: the ledger keeps each event, detached from the person,
under the keyed hash of its address; the database keeps it append-only; an admin (page or
command line) can show an address's history at any time."""

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update

from clubsite.extensions import db
from clubsite.privacy import consent
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ConsentEvent, Member
from tests.conftest import csrf_token
from tests.privacy.consent_flows import confirm_by_mail, desk_add, ledger, staff_erase
from tests.privacy.factories import LIGA, enrol
from tests.public.helpers import english, member_with_email, sign_up

EMAIL = "marta.liepa@example.lv"
PAGE = "/office/consent-proof"
PROOF = "signed paper form, 12.03.2026"


@pytest.fixture
def erased_subscriber(client, client_for, mailbox):
    """Added at the desk with a paper proof, confirmed by the person, then erased by staff."""
    admin = client_for("admin")
    desk_add(admin, ["newsletter"], {"email": EMAIL, "first_name": "Marta"}, proof=PROOF)
    assert confirm_by_mail(client, mailbox, EMAIL).status_code == 200
    member = member_with_email(EMAIL)
    before = [
        (e.id, e.purpose, e.kind, e.at, e.source, e.actor, e.wording_hash)
        for e in consent.events(member)
    ]
    assert staff_erase(admin, member).status_code == 302
    return admin, before


def test_erasure_keeps_each_consent_event_detached(erased_subscriber):
    """After the erasure the events are still there: the member link and the free-text proof
    are gone, the address hash, purpose, kind, time, source and wording hash stay; the erasure
    itself is the last event (a withdrawal) and the address is suppressed."""
    _admin, before = erased_subscriber
    assert member_with_email(EMAIL) is None
    events = ledger(consent.address_hash(EMAIL))
    assert [e.kind for e in events] == ["given", "confirmed", "withdrawn"]
    assert all(e.member_id is None and e.proof == "" for e in events)
    kept = [(e.id, e.purpose, e.kind, e.at, e.source, e.actor, e.wording_hash) for e in events]
    assert kept[:2] == before
    assert (events[2].source, events[2].wording_hash) == ("staff", None)
    assert events[0].wording_hash == consent.wording_hash(consent.wording_text("newsletter", "en"))
    assert db.session.scalar(select(sa.func.count()).where(ConsentEvent.proof == PROOF)) == 0
    assert consent.is_suppressed(EMAIL)


def test_every_ledger_row_carries_its_address_hash_when_written(client, mailbox):
    """Signing up, confirming and withdrawing each write the keyed hash of the address."""
    english(client)
    sign_up(client, ["newsletter"], {"email": "Ieva.Ozola@Example.lv"})
    confirm_by_mail(client, mailbox, "ieva.ozola@example.lv")
    member = member_with_email("ieva.ozola@example.lv")
    digest = consent.address_hash("IEVA.OZOLA@example.lv")
    assert [(e.kind, e.address_hash) for e in consent.events(member)] == [
        ("given", digest),
        ("confirmed", digest),
    ]
    from clubsite.public import selfservice

    selfservice.withdraw_newsletter(member)
    db.session.commit()
    assert [(e.kind, e.address_hash, e.member_id) for e in ledger(digest)][-1] == (
        "withdrawn",
        digest,
        None,  # the newsletter was all Ieva had: she is erased, her ledger stays
    )


def _refused(statement):
    """The database refuses the statement (the append-only triggers, or the foreign key)."""
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(statement.execution_options(synchronize_session=False))
        db.session.flush()
    db.session.rollback()


def test_the_database_keeps_the_ledger_append_only(app):
    """UPDATE and DELETE are refused on both databases, except the detaching step of an
    erasure (member link to NULL, proof to '', nothing else) and a merge moving rows to the kept
    member; a detached row never changes again; a member cannot be deleted under its ledger."""
    member = enrol(LIGA, ["bookings", "newsletter"])
    other = enrol({"email": "other@example.lv"}, ["newsletter"])
    event = consent.record(
        member, "newsletter", "given", source="staff", actor="system", proof="paper"
    )
    db.session.commit()
    row = ConsentEvent.id == event.id
    mine = ConsentEvent.member_id == member.id
    for change in (
        {"kind": "confirmed"},
        {"at": sa.func.current_timestamp()},
        {"source": "signup"},
        {"actor": "member"},
        {"wording_hash": None},
        {"address_hash": consent.address_hash("someone@example.lv")},
        {"proof": "forged"},
        {"member_id": None},  # the proof would stay with a detached row
        {"member_id": other.id, "proof": ""},  # a merge moves rows, it changes nothing else
    ):
        _refused(update(ConsentEvent).where(row).values(**change))
    _refused(delete(ConsentEvent).where(mine))
    _refused(delete(Member).where(Member.id == member.id))  # not without detaching it first

    db.session.execute(update(ConsentEvent).where(mine).values(member_id=other.id))  # a merge
    db.session.commit()
    consent.detach([other.id])  # an erasure's step
    db.session.commit()
    db.session.expire_all()
    detached = db.session.get(ConsentEvent, event.id)
    assert (detached.member_id, detached.proof, detached.kind) == (None, "", "given")
    assert detached.address_hash == consent.address_hash(LIGA["email"])
    for change in ({"member_id": member.id}, {"kind": "withdrawn"}):
        _refused(update(ConsentEvent).where(row).values(**change))
    _refused(delete(ConsentEvent).where(row))


def test_the_ledger_stays_append_only_after_a_restore(app):
    """A restored database has the triggers too (on PostgreSQL the swapped-in tables call a
    function that outlives the restore's scratch schema)."""
    from clubsite.backup import service
    from clubsite.backup.restore import restore_backup

    enrol(LIGA, ["newsletter"])
    path = service.create_backup().path
    db.session.commit()
    restore_backup(path, safety_backup=False)
    db.session.remove()
    _refused(update(ConsentEvent).values(kind="objected"))
    _refused(delete(ConsentEvent))


def test_consent_proof_command_shows_the_history_after_erasure(erased_subscriber, runner):
    """`privacy consent-proof EMAIL` lists the events with the wording and says the address is
    suppressed; the lookup is audited with the field name only."""
    result = runner.invoke(args=["privacy", "consent-proof", "Marta.Liepa@Example.LV"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    events = [line for line in lines if "  newsletter  " in line]
    assert [line.split("  ")[2] for line in events] == ["given", "confirmed", "withdrawn"]
    assert all("(member erased)" in line for line in events)
    wording = consent.wording_text("newsletter", "en")
    assert f"wording {consent.wording_hash(wording)} (en):" in result.output
    assert wording in result.output
    assert "Suppressed since" in result.output and "(withdrawn)" in result.output
    assert PROOF not in result.output
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consent.proof_viewed")
    ).one()
    assert (audit.fields, audit.detail, audit.actor_type) == ("email", "events=3", "system")
    assert "marta" not in f"{audit.subject_id} {audit.detail}".lower()


def test_consent_proof_command_for_an_unknown_or_invalid_address(app, runner):
    """Nothing on record is said as such; a malformed address is refused."""
    result = runner.invoke(args=["privacy", "consent-proof", "nobody@example.lv"])
    assert result.exit_code == 0
    assert "No consent events for this address." in result.output
    assert "Not on the do-not-mail list." in result.output
    assert runner.invoke(args=["privacy", "consent-proof", "not an address"]).exit_code != 0


def test_admin_page_shows_the_history_from_a_post(erased_subscriber):
    """The admin types the address into a POST form (it never reaches a URL) and sees each event
    with its wording, that the person was erased, and that the address is suppressed."""
    admin, _before = erased_subscriber
    english(admin)
    page = admin.get(PAGE).get_data(as_text=True)
    assert f'method="post" action="{PAGE}"' in page
    response = admin.post(PAGE, data={"email": EMAIL, "csrf_token": csrf_token(admin, PAGE)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    html = response.get_data(as_text=True)
    for text in (
        "Consent given",
        "Confirmed by the person (double opt-in)",
        "Consent withdrawn",
        consent.wording_text("newsletter", "en"),
        consent.wording_hash(consent.wording_text("newsletter", "en")),
        "person erased",
        "Suppressed",
    ):
        assert text in html, text
    assert PROOF not in html
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consent.proof_viewed")
    ).one()
    assert (audit.fields, audit.actor_id) == ("email", admin.staff_user.public_id)
    assert EMAIL not in f"{audit.subject_id} {audit.detail}"


def test_admin_page_for_an_address_without_history_and_a_bad_one(client_for):
    """No events and not suppressed are said plainly; a malformed address is an error, not a
    lookup (nothing audited). Other roles are refused."""
    admin = client_for("admin")
    english(admin)
    html = admin.post(
        PAGE, data={"email": "new@example.lv", "csrf_token": csrf_token(admin, PAGE)}
    ).get_data(as_text=True)
    assert "No consent events for this address." in html and "Not suppressed" in html
    html = admin.post(
        PAGE, data={"email": "not an address", "csrf_token": csrf_token(admin, PAGE)}
    ).get_data(as_text=True)
    assert "Enter a valid email address." in html
    assert (
        db.session.scalar(
            select(sa.func.count()).where(AuditEvent.action == "consent.proof_viewed")
        )
        == 1
    )
    reception = client_for("reception")
    token = csrf_token(reception, "/office/")
    assert reception.post(PAGE, data={"email": EMAIL, "csrf_token": token}).status_code == 403


def test_the_migration_gives_existing_events_their_address_hash(tmp_path):
    """Events written before the ledger carried hashes get their member's address hash, so an
    erasure after the upgrade still leaves a proof (SQLite; the same SQL runs on PostgreSQL)."""
    from flask_migrate import upgrade

    from clubsite import create_app
    from clubsite.database import utcnow
    from clubsite.privacy.crypto import encrypt_field

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite3", "TESTING": True},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision="7eed22a16c16")  # the revision before the ledger kept hashes
        blob = encrypt_field(
            app.config["KEY_RING"], "old@example.lv", table="member", column="email", row_id="p1"
        )
        now = utcnow().isoformat(sep=" ")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO member (id, public_id, language, created_at, updated_at, "
                    "version, email_enc) VALUES (1, 'p1', 'lv', :t, :t, 1, :e)"
                ),
                {"t": now, "e": blob},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO consent_event (member_id, purpose, kind, at, source, actor, "
                    "proof) VALUES (1, 'newsletter', 'given', :t, 'signup', 'member', '')"
                ),
                {"t": now},
            )
        upgrade(revision="4d6c6c5c11df")
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT address_hash FROM consent_event")).scalar()
        assert bytes(stored) == consent.address_hash("Old@example.lv")
        db.engine.dispose()
