"""Likely duplicates and the merge: suggested by a shared phone, postal address or name and
birth date (never merged on their own); a merge keeps one member with every purpose, the full
consent ledger of both and their linked records, journals the removed id with the reason
"merge", and erases nothing else."""

import pytest
from sqlalchemy import insert, select

from clubsite.database import utcnow
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.members import duplicates, service
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ConsentEvent, ErasureJournal, Member
from clubsite.registers.service import file_subject_request
from tests.conftest import csrf_token


def _english(client):
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client, "/")})


def _enrol(values, purposes, **kwargs):
    member, created = service.enrol_member(
        dict(values), list(purposes), source="signup", actor="member", **kwargs
    )
    assert created
    db.session.commit()
    return member


@pytest.fixture
def pair(app):
    """One person registered twice: for fees and the newsletter, and for a hall booking."""
    first = _enrol(
        {"first_name": "Jānis", "last_name": "Bērziņš", "email": "janis@example.lv"},
        ["fees", "newsletter"],
        consent_confirmed=True,
    )
    second = _enrol(
        {"first_name": "Janis", "last_name": "Berzins", "phone": "+371 2612 3456"},
        ["bookings"],
    )
    # The second record also once gave and then withdrew a newsletter consent.
    consent.record(second, "newsletter", "given", source="signup", actor="member")
    consent.record(second, "newsletter", "withdrawn", source="self-service", actor="member")
    db.session.commit()
    return first, second


def _ledger(member_id):
    rows = db.session.scalars(
        select(ConsentEvent).where(ConsentEvent.member_id == member_id).order_by(ConsentEvent.id)
    ).all()
    return [(e.id, e.purpose, e.kind, e.at, e.source, e.actor, e.wording_hash) for e in rows]


def test_same_phone_and_same_name_and_birth_date_are_found(app):
    """A shared phone blind index, and the same folded name with the same birth date."""
    _enrol({"first_name": "Anna", "last_name": "Liepa", "phone": "26000001"}, ["bookings"])
    # A family's shared phone is no match: Aivars is a member of his own.
    _enrol(
        {"first_name": "Aivars", "last_name": "Liepa", "email": "aivars@example.lv",
         "phone": "+371 2600 0001"},
        ["bookings"],
    )  # fmt: skip
    _enrol(
        {"first_name": "Ērika", "last_name": "Kalniņa", "email": "erika1@example.lv",
         "personal_code": "150385-10009"},
        ["fees"],
    )  # fmt: skip
    _enrol(
        {"first_name": "Erika", "last_name": "KALNINA", "email": "erika2@example.lv",
         "personal_code": "150385-10017"},
        ["fees"],
    )  # fmt: skip
    _enrol({"first_name": "Zane", "last_name": "Ozola", "phone": "26000009"}, ["bookings"])
    groups = duplicates.find_duplicates(actor=SYSTEM)
    reasons = sorted((g.reason, len(g.members)) for g in groups)
    assert reasons == [("name_birth", 2), ("phone", 2)]
    db.session.commit()  # audit events are appended when their transaction commits
    scan = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "member.duplicates_scanned",
            AuditEvent.fields == "first_name,last_name,personal_code",
        )
    )
    assert scan.fields == "first_name,last_name,personal_code" and scan.detail == "members=2"


def test_merge_keeps_both_ledgers_all_purposes_and_erases_nothing_else(app, pair):
    """The kept member gains the other's purposes and fields; every consent event moves over."""
    first, second = pair
    bystander = _enrol(
        {"first_name": "Līga", "last_name": "Ozola", "phone": "29111111"}, ["bookings"]
    )
    ledger_first, ledger_second = _ledger(first.id), _ledger(second.id)
    bystander_ledger = _ledger(bystander.id)
    request = file_subject_request(second.public_id, "access", "copy please", source="desk")
    checkin = db.metadata.tables.get("check_in")
    if checkin is not None:
        db.session.execute(
            insert(checkin).values(member_id=second.id, at=utcnow(), allowed=True, reason="allowed")
        )
    db.session.commit()
    removed_id, kept_id = second.public_id, first.public_id

    gained = duplicates.merge_members(first, second, actor="staff:someone")
    db.session.commit()

    assert gained == ["phone"]
    kept = service.member_by_public_id(kept_id)
    assert service.member_by_public_id(removed_id) is None
    assert {p.purpose for p in kept.purposes} == {"fees", "newsletter", "bookings"}
    assert kept.purpose("bookings").field_list == ["first_name", "last_name", "phone"]
    # The kept values win; the missing phone comes over.
    assert store.read(kept, ["first_name", "last_name", "email", "phone"]) == {
        "first_name": "Jānis",
        "last_name": "Bērziņš",
        "email": "janis@example.lv",
        "phone": "+37126123456",
    }
    by_phone = select(Member.id).where(
        Member.phone_bidx == store.index_value("phone", "+37126123456")
    )
    assert db.session.scalars(by_phone).all() == [kept.id]
    # Both ledgers, unchanged row by row, now on the kept member.
    assert _ledger(kept.id) == sorted(ledger_first + ledger_second)
    assert consent.state(kept, "newsletter") == "withdrawn"  # the latest event counts
    assert _ledger(bystander.id) == bystander_ledger
    # The removed id is journalled as merged; nothing was erased otherwise.
    journal = db.session.scalars(select(ErasureJournal)).all()
    assert [(j.public_id, j.reason) for j in journal] == [(removed_id, "merge")]
    assert db.session.scalar(select(db.func.count(Member.id))) == 2
    db.session.refresh(request)
    assert request.member_public_id == kept_id
    if checkin is not None:
        moved = db.session.execute(select(checkin.c.member_id)).scalars().all()
        assert moved == [kept.id]
    actions = {
        (e.action, e.subject_id, e.detail)
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("member.merge%"))
        )
    }
    assert ("member.merged", kept_id, f"from:{removed_id}") in actions
    assert ("member.merged_away", removed_id, f"into:{kept_id}") in actions


def test_merge_moves_the_email_and_card_when_the_kept_record_has_none(app):
    """Unique values (email, card number) move from the removed record without a clash."""
    with_card = _enrol(
        {"first_name": "Pēteris", "last_name": "Kalniņš", "email": "peteris@example.lv"},
        ["access", "fees"],
    )
    booking_only = _enrol(
        {"first_name": "Pēteris", "last_name": "Kalniņš", "phone": "26111222"}, ["bookings"]
    )
    card = store.read(with_card, ["card_number"])["card_number"]
    gained = duplicates.merge_members(booking_only, with_card, actor="system")
    db.session.commit()
    assert gained == ["card_number", "email"]
    assert store.read(booking_only, ["card_number"])["card_number"] == card
    assert service.find_existing({"email": "peteris@example.lv"}).id == booking_only.id


def test_merge_refuses_the_same_member_and_stale_versions(pair):
    """Merging a record into itself, or after a change, is refused and changes nothing."""
    first, second = pair
    with pytest.raises(duplicates.MergeError):
        duplicates.merge_members(first, first, actor="system")
    with pytest.raises(duplicates.MergeError):
        duplicates.merge_members(first, second, actor="system", remove_version=second.version - 1)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Member.id))) == 2


def test_merge_hooks_run_before_the_removed_member_goes(pair):
    """Other packages' hooks see both members (e.g. to move invoices)."""
    first, second = pair
    seen = []

    def hook(keep, remove):
        seen.append((keep.public_id, remove.public_id, remove.has_field("phone")))

    duplicates.MERGE_HOOKS.append(hook)
    try:
        duplicates.merge_members(first, second, actor="system")
    finally:
        duplicates.MERGE_HOOKS.remove(hook)
    assert seen == [(first.public_id, second.public_id, True)]


def test_duplicates_pages_and_merge_through_the_back_office(client_for, pair):
    """The admin sees the pair, compares them (audited) and merges with a confirmation."""
    first, second = pair
    # Give them a shared phone so the list finds them.
    service.add_purpose(
        first, "bookings", {"phone": "+37126123456"}, basis="contract", source="staff",
        actor="system",
    )  # fmt: skip
    store.write(first, {"phone": "+37126123456"})
    db.session.commit()
    admin = client_for("admin")
    _english(admin)
    page = admin.get("/office/members/duplicates").get_data(as_text=True)
    assert "Same phone number" in page and "Jānis Bērziņš" in page
    url = f"/office/members/duplicates/merge?a={first.public_id}&b={second.public_id}"
    compare = admin.get(url).get_data(as_text=True)
    assert "janis@example.lv" in compare and "differs" in compare
    reads = db.session.scalars(
        select(AuditEvent.subject_id).where(AuditEvent.action == "member.read_for_merge")
    ).all()
    assert set(reads) == {first.public_id, second.public_id}
    token = csrf_token(admin, url)
    removed_id, kept_id = first.public_id, second.public_id
    unconfirmed = admin.post(url, data={"keep": "a", "csrf_token": token})
    assert "Please confirm." in unconfirmed.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Member.id))) == 2
    done = admin.post(
        url,
        data={
            "keep": "b",
            "confirm": "y",
            "a_version": str(first.version),
            "b_version": str(second.version),
            "csrf_token": token,
        },
    )
    assert done.status_code == 302 and kept_id in done.headers["Location"]
    assert service.member_by_public_id(removed_id) is None
    assert db.session.scalar(select(ErasureJournal.reason)) == "merge"


def test_duplicates_are_for_admins_only(client_for):
    """Reception may not list or merge duplicates."""
    reception = client_for("reception")
    assert reception.get("/office/members/duplicates").status_code == 403


def test_a_merge_from_an_older_comparison_is_refused_on_the_page(client_for, pair):
    """A member changed since the comparison was shown: the page says so; nothing is merged."""
    first, second = pair
    admin = client_for("admin")
    _english(admin)
    url = f"/office/members/duplicates/merge?a={first.public_id}&b={second.public_id}"
    token = csrf_token(admin, url)
    data = {
        "keep": "a",
        "confirm": "y",
        "a_version": str(first.version),
        "b_version": str(second.version - 1),
        "csrf_token": token,
    }
    refused = admin.post(url, data=data)
    assert refused.status_code == 200
    assert "One of the members was changed meanwhile" in refused.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count(Member.id))) == 2
    assert db.session.scalar(select(db.func.count(ErasureJournal.id))) == 0
