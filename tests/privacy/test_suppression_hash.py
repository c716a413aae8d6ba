"""Each member's address carries its hash on the suppression list (email_suppression_hash), kept
in step wherever the address is written or erased, so a newsletter's audience checks the list
without decrypting every address; a row without it (older data) is still checked, by
decrypting, and the migration that added the column gives existing members theirs."""

from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.members import service
from clubsite.newsletter.audience import audience_for
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member
from clubsite.privacy.retention import run_retention
from tests.privacy.consent_flows import recipients
from tests.privacy.factories import JANIS, LIGA, enrol


def _stored_hash(member_id):
    db.session.expire_all()
    return db.session.get(Member, member_id).email_suppression_hash


def test_the_hash_follows_the_address_when_it_is_written_changed_and_erased(app):
    member = enrol(JANIS, ["access", "newsletter"])
    assert _stored_hash(member.id) == consent.address_hash("janis.berzins@example.lv")

    store.write(member, {"email": "Janis.Jauns@Example.lv"})
    db.session.commit()
    assert _stored_hash(member.id) == consent.address_hash("janis.jauns@example.lv")

    store.erase(member, ["email"])
    db.session.commit()
    assert _stored_hash(member.id) is None and member.email_bidx is None


def test_retention_erases_the_hash_with_the_address(app):
    """Fees over, access goes on: the address (fees' field) goes, and its hash with it."""
    member = enrol(JANIS, ["access", "fees"])
    member_id = member.id
    enrolment = member.purpose("fees")
    enrolment.ends_at = enrolment.keep_until = utcnow() - timedelta(days=1)
    db.session.commit()
    assert _stored_hash(member_id) is not None
    run_retention()
    db.session.expire_all()
    kept = db.session.get(Member, member_id)
    assert kept.first_name_enc is not None and kept.email_enc is None
    assert kept.email_suppression_hash is None


def test_a_suppressed_address_stays_out_by_its_stored_hash_or_without_one(app):
    """Two suppressed members: one with the stored hash, one whose row predates it (NULL);
    both stay out of the audience, and the unsuppressed one is in."""
    janis = enrol(JANIS, ["newsletter"])
    liga = enrol(LIGA, ["newsletter"])
    other = enrol({"email": "kept@example.lv", "first_name": "Ilze"}, ["newsletter"])
    # Suppressed from outside the ledger (a complaint): their consent is still active.
    consent.suppress(JANIS["email"], "complaint")
    consent.suppress(LIGA["email"], "complaint")
    db.session.execute(
        sa.update(Member).where(Member.id == liga.id).values(email_suppression_hash=None)
    )
    db.session.commit()
    assert recipients() == ["kept@example.lv"]
    assert audience_for(False).counts["suppressed"] == 2
    assert {janis.id, liga.id, other.id} == set(db.session.scalars(sa.select(Member.id)))


def test_a_member_moved_to_a_suppressed_address_leaves_the_audience(app):
    member = enrol(JANIS, ["newsletter"])
    consent.suppress("blocked@example.lv", "bounced")
    db.session.commit()
    assert recipients() == [JANIS["email"]]
    service.update_fields(member, {"email": "Blocked@example.lv"}, actor="system")
    db.session.commit()
    assert recipients() == []
    assert audience_for(False).counts["suppressed"] == 1


def test_the_migration_gives_existing_members_their_hash(tmp_path):
    from clubsite import create_app
    from clubsite.privacy.crypto import encrypt_field

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite3", "TESTING": True},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision="b11a1dx00001")  # the revision before members kept the hash
        ring = app.config["KEY_RING"]
        now = utcnow().isoformat(sep=" ")
        rows = [
            {"i": 1, "p": "p1", "e": encrypt_field(ring, "Old@Example.lv", table="member",
                                                   column="email", row_id="p1")},
            {"i": 2, "p": "p2", "e": None},  # no address: stays NULL
            {"i": 3, "p": "p3", "e": b"\x00damaged"},  # cannot be read: stays NULL
        ]  # fmt: skip
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO member (id, public_id, language, created_at, updated_at, "
                    "version, email_enc) VALUES (:i, :p, 'lv', :t, :t, 1, :e)"
                ),
                [{**row, "t": now} for row in rows],
            )
        upgrade(revision="b16e5a1ec0de")
        with db.engine.connect() as conn:
            stored = dict(
                conn.execute(sa.text("SELECT id, email_suppression_hash FROM member")).all()
            )
        assert bytes(stored[1]) == consent.address_hash("old@example.lv")
        assert stored[2] is None and stored[3] is None
        db.engine.dispose()
