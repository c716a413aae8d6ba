"""Enrolment by purpose: only the fields a purpose uses, no duplicates, one field per purpose."""

import pytest
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.members import service
from clubsite.privacy import consent, fields
from clubsite.privacy.models import ConsentEvent, ErasureJournal, Member, MemberNameToken
from tests.privacy.factories import JANIS, LIGA, enrol


def test_only_fields_of_the_chosen_purposes_are_stored(app):
    """A newsletter sign-up keeps the email and the optional first name, nothing else typed."""
    member = enrol({**JANIS}, ["newsletter"])
    stored = [name for name in fields.FIELDS if member.has_field(name)]
    assert stored == ["first_name", "email"]
    assert set(member.purpose("newsletter").field_list) == {"first_name", "email"}
    bare = enrol({"email": "only@example.lv", "phone": "26000000"}, ["newsletter"])
    assert [name for name in fields.FIELDS if bare.has_field(name)] == ["email"]


def test_membership_issues_a_card_and_keeps_fee_fields(app):
    """Access + fees: names, email, optional address and IBAN; a card number is issued."""
    member = enrol(JANIS, ["access", "fees"])
    values = fields.read(member, fields.FIELDS)
    assert set(values) == {
        "first_name",
        "last_name",
        "email",
        "postal_address",
        "iban",
        "card_number",
    }
    assert "phone" not in values
    assert len(values["card_number"]) == 12
    assert member.purpose("access").field_list == ["first_name", "last_name", "card_number"]


def test_phone_given_for_bookings_is_not_available_to_the_newsletter(app):
    """A field given for one purpose is not listed under another."""
    member = enrol({**LIGA, "email": ""}, ["bookings"])
    service.add_purpose(
        member,
        "newsletter",
        {"email": "liga@example.lv"},
        basis="consent",
        source="signup",
        actor="member",
        consent_confirmed=True,
    )
    fields.write(member, {"email": "liga@example.lv"})
    db.session.commit()
    assert "phone" in member.purpose("bookings").field_list
    assert "phone" not in member.purpose("newsletter").field_list


@pytest.mark.parametrize(
    ("purposes", "key", "value"),
    [
        (["bookings"], "email", "LIGA.Ozolina@Example.lv"),
        (["fees"], "personal_code", "150385-10009"),
    ],
)
def test_the_same_person_is_not_added_twice(app, purposes, key, value):
    """Same email (in any letter case) or same personal code finds the existing member."""
    first = enrol({**LIGA, "personal_code": "150385-10009"}, purposes)
    again = {"first_name": "L", "last_name": "O", "email": "other@example.lv", key: value}
    member, created = service.enrol_member(again, purposes, source="staff", actor="system")
    assert not created and member.id == first.id
    assert db.session.scalar(select(db.func.count(Member.id))) == 1


def test_a_shared_phone_or_address_is_no_match(app):
    """A family shares a phone and an address: a second person with them is a new member, and
    the first member's record is left as it was."""
    mother = enrol(JANIS, ["fees", "bookings"])
    before = fields.read(mother, fields.FIELDS)
    daughter = {
        "first_name": "Anna",
        "last_name": "Bērziņa",
        "email": "anna.berzina@example.lv",
        "phone": "26123456",  # the same number, another format
        "postal_address": JANIS["postal_address"],
    }
    member, created = service.enrol_member(
        daughter, ["fees", "bookings"], source="signup", actor="member"
    )
    db.session.commit()
    assert created and member.id != mother.id
    assert fields.read(member, ["email", "phone"]) == {
        "email": "anna.berzina@example.lv",
        "phone": "+37126123456",
    }
    assert fields.read(mother, fields.FIELDS) == before
    assert service.find_existing({"phone": "+37126123456"}) is None
    # Phone only (a hall booking): a new member too, never someone else's record.
    caller, created = service.enrol_member(
        {"first_name": "Pēteris", "last_name": "Bērziņš", "phone": "+37126123456"},
        ["bookings"],
        source="staff",
        actor="system",
    )
    assert created and caller.id not in (mother.id, member.id)


def test_missing_required_field_is_refused_and_nothing_written(app):
    """Fees needs an email; nothing is stored when it is missing."""
    with pytest.raises(service.MemberError) as exc:
        service.enrol_member(
            {"first_name": "Anna", "last_name": "Kalniņa"},
            ["fees"],
            source="signup",
            actor="member",
        )
    assert "email" in exc.value.errors
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Member.id))) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("phone", "12"),
        ("iban", "LV80BANK0000435195002"),
        ("personal_code", "010190-12340"),
        ("first_name", "<script>"),
    ],
)
def test_invalid_values_are_refused_with_a_reason(app, field, value):
    """Each validator gives a message for its field; no member is written."""
    raw = {**JANIS, field: value}
    with pytest.raises(service.MemberError) as exc:
        service.enrol_member(raw, ["access", "fees", "bookings"], source="signup", actor="member")
    assert field in exc.value.errors and str(exc.value.errors[field])
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(Member.id))) == 0


def test_ending_a_purpose_erases_only_what_no_other_purpose_needs(app):
    """Ending fees erases email, address and IBAN but keeps the names access needs."""
    member = enrol(JANIS, ["access", "fees"])
    dropped = service.end_purpose(member, "fees", actor="system")
    db.session.commit()
    assert set(dropped) == {"email", "postal_address", "iban"}
    assert member.email_enc is None and member.email_bidx is None and member.iban_enc is None
    assert fields.read(member, ["first_name"]) == {"first_name": "Jānis"}


def test_ending_the_last_purpose_erases_the_member_entirely(app):
    """Gone from the table; only the public id stays in the erasure journal."""
    member = enrol(LIGA, ["newsletter"])
    public_id, member_id = member.public_id, member.id
    service.end_purpose(member, "newsletter", actor="member")
    db.session.commit()
    assert db.session.get(Member, member_id) is None
    assert (
        db.session.scalar(select(MemberNameToken).where(MemberNameToken.member_id == member_id))
        is None
    )
    assert (
        db.session.scalar(select(ConsentEvent).where(ConsentEvent.member_id == member_id)) is None
    )
    journal = db.session.scalar(select(ErasureJournal))
    assert journal.public_id == public_id and journal.reason == "request"


def test_correcting_fields_updates_indexes_and_verification(app):
    """A corrected email is found by its new blind index, not the old one."""
    member = enrol(JANIS, ["access", "fees"])
    service.update_fields(
        member,
        {"first_name": "Jānis", "last_name": "Bērziņš", "email": "new@example.lv"},
        actor="member",
    )
    db.session.commit()
    assert service.find_existing({"email": "new@example.lv"}).id == member.id
    assert service.find_existing({"email": JANIS["email"]}) is None


def test_withdrawal_is_one_step_and_derived_from_the_ledger(app):
    """Given+confirmed is active; withdrawing ends the purpose and the ledger shows it."""
    member = enrol(JANIS, ["access", "newsletter"])
    assert consent.state(member, "newsletter") == "active"
    service.end_purpose(member, "newsletter", actor="member", reason="self-service")
    db.session.commit()
    assert consent.state(member, "newsletter") == "withdrawn"
    kinds = [e.kind for e in consent.events(member, "newsletter")]
    assert kinds == ["given", "confirmed", "withdrawn"]
    given = consent.events(member, "newsletter")[0]
    assert given.wording_hash == consent.wording_hash(consent.wording_text("newsletter", "lv"))


def test_leaving_a_soft_opt_in_newsletter_is_an_objection_on_the_ledger(app):
    """Legitimate-interest news have no consent to withdraw: leaving them is an objection."""
    member = enrol(JANIS, ["access", "fees"])
    service.add_purpose(
        member,
        "newsletter",
        {"email": JANIS["email"]},
        basis="legitimate_interest",
        source="signup",
        actor="member",
    )
    db.session.commit()
    service.end_purpose(member, "newsletter", actor="member", reason="unsubscribe")
    db.session.commit()
    assert consent.state(member, "newsletter") == "objected"


def test_a_new_confirmed_consent_lifts_an_earlier_suppression(app):
    """Withdrawn, suppressed, then subscribed again with double opt-in: mail may go again."""
    member = enrol({"email": "back@example.lv", "first_name": "Anna"}, ["newsletter"])
    consent.suppress("back@example.lv", "withdrawn")
    db.session.commit()
    assert consent.is_suppressed("back@example.lv")
    again, created = service.enrol_member(
        {"email": "other@example.lv"}, ["newsletter"], source="signup", actor="member"
    )
    db.session.commit()
    assert created
    assert consent.is_suppressed("back@example.lv")  # someone else's sign-up changes nothing
    service.end_purpose(member, "newsletter", actor="member")
    db.session.commit()
    fresh, _ = service.enrol_member(
        {"email": "back@example.lv"}, ["newsletter"], source="signup", actor="member"
    )
    service.confirm_consent(fresh, "newsletter", source="signup", actor="member")
    db.session.commit()
    assert not consent.is_suppressed("back@example.lv")


def test_an_optional_field_can_be_cleared(app):
    """Emptying the postal address erases it; required fields cannot be emptied."""
    member = enrol(JANIS, ["access", "fees"])
    raw = {
        "first_name": "Jānis",
        "last_name": "Bērziņš",
        "email": JANIS["email"],
        "postal_address": "",
        "iban": JANIS["iban"],
    }
    service.update_fields(member, raw, actor="member")
    db.session.commit()
    assert member.postal_address_enc is None
    assert "postal_address" not in member.purpose("fees").field_list
    with pytest.raises(service.MemberError):
        service.update_fields(member, {**raw, "email": ""}, actor="member")


def test_self_service_audit_names_the_member(app):
    """A member acting on their own record is the audit actor, by public id."""
    from clubsite.privacy.audit import AuditEvent

    member = enrol(JANIS, ["access"])
    service.mark_verified(member, actor="member")
    db.session.commit()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.verified")
    ).one()
    assert (event.actor_type, event.actor_id) == ("member", member.public_id)


def test_a_correction_from_a_stale_form_is_refused_by_the_domain(app):
    """update_fields with an old version changes nothing and says why."""
    member = enrol(JANIS, ["access", "fees"])
    raw = {"first_name": "Jānis", "last_name": "Bērziņš", "email": "other@example.lv"}
    with pytest.raises(service.MemberError) as exc:
        service.update_fields(member, raw, actor="member", expected_version=member.version - 1)
    assert None in exc.value.errors
    db.session.rollback()
    assert fields.read(member, ["email"])["email"] == JANIS["email"]
