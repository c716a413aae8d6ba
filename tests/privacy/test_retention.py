"""Retention with the clock moved forward: the dry run lists, the real run erases exactly that."""

from datetime import timedelta

from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.models import ErasureJournal, Member
from clubsite.privacy.retention import run_retention
from tests.privacy.factories import JANIS, LIGA, enrol


def _end_membership(member, days_ago):
    """The membership ended some days ago (what the fees module records)."""
    ended = utcnow() - timedelta(days=days_ago)
    for purpose_id in ("access", "fees"):
        enrolment = member.purpose(purpose_id)
        enrolment.ends_at = ended
        enrolment.keep_until = ended + timedelta(days=30 if purpose_id == "access" else 0)
    db.session.commit()


def test_unconfirmed_newsletter_signups_are_erased_after_seven_days(app):
    """Not confirmed within a week: the person is erased (nothing else held)."""
    member = enrol({"email": "maybe@example.lv"}, ["newsletter"], confirmed=False)
    public_id = member.public_id  # the row goes with the erasure
    kept = enrol(LIGA, ["newsletter"], confirmed=True)
    assert run_retention(now=utcnow() + timedelta(days=6)).erased_members == []
    report = run_retention(now=utcnow() + timedelta(days=8))
    assert report.erased_members == [public_id]
    assert db.session.scalar(select(ErasureJournal.public_id)) == public_id
    assert db.session.get(Member, kept.id) is not None


def test_dry_run_lists_and_changes_nothing(app):
    """--dry-run reports the expired purposes and leaves every field in place."""
    member = enrol(JANIS, ["access", "fees", "newsletter"])
    _end_membership(member, days_ago=31)
    report = run_retention(dry_run=True)
    ended = {(pid, purpose) for pid, purpose, _ in report.ended}
    assert ended == {(member.public_id, "access"), (member.public_id, "fees")}
    assert report.erased_members == []
    db.session.expire_all()
    assert db.session.get(Member, member.id).first_name_enc is not None


def test_real_run_erases_fields_no_remaining_purpose_needs(app):
    """Membership over: names, card, address, IBAN go; the newsletter email stays."""
    member = enrol(JANIS, ["access", "fees", "newsletter"])
    _end_membership(member, days_ago=31)
    run_retention()
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert [p.purpose for p in member.purposes] == ["newsletter"]
    assert member.email_enc is not None
    for name in ("last_name", "card_number", "postal_address", "iban"):
        assert getattr(member, f"{name}_enc") is None, name
    assert member.card_number_bidx is None


def test_access_is_kept_thirty_days_after_the_membership_ends(app):
    """Day 20 after the end: access data still there; fees data (no open invoices) gone."""
    member = enrol(JANIS, ["access", "fees"])
    _end_membership(member, days_ago=20)
    run_retention()
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert [p.purpose for p in member.purposes] == ["access"]
    assert member.first_name_enc is not None and member.email_enc is None


def test_cli_retention_dry_run(app, runner):
    """`flask privacy retention --dry-run` prints what would go, by public id only."""
    member = enrol(JANIS, ["access", "fees"])
    _end_membership(member, days_ago=40)
    result = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert result.exit_code == 0
    assert member.public_id in result.output and "would end 2 purposes" in result.output
    assert "Jānis" not in result.output


def test_bulk_erasure_journals_audits_and_cascades(app):
    """Many expired members at once: each journalled and audited (chain intact), nothing left."""
    from clubsite.privacy.audit import AuditEvent, verify_chain
    from clubsite.privacy.models import ConsentEvent, MemberNameToken, MemberPurpose

    members = [
        enrol({"email": f"m{i}@example.lv", "first_name": "Anna"}, ["newsletter"], confirmed=False)
        for i in range(12)
    ]
    public_ids = sorted(m.public_id for m in members)
    report = run_retention(now=utcnow() + timedelta(days=8))
    assert sorted(report.erased_members) == public_ids
    assert db.session.scalar(select(db.func.count(ErasureJournal.id))) == 12
    for model in (Member, MemberPurpose, MemberNameToken):
        assert db.session.scalar(select(db.func.count()).select_from(model)) == 0, model
    # The consent ledger outlives the members, detached: given, then withdrawn (unconfirmed).
    events = db.session.scalars(select(ConsentEvent)).all()
    assert sorted(e.kind for e in events) == ["given"] * 12 + ["withdrawn"] * 12
    assert all(e.member_id is None and e.address_hash for e in events)
    erased = db.session.scalars(
        select(AuditEvent.subject_id).where(AuditEvent.action == "member.erased")
    )
    assert sorted(erased) == public_ids
    assert verify_chain() is None
