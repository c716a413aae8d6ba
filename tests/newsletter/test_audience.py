"""The audience rule: exactly the members who may lawfully receive a newsletter, nobody else."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.members import service as members
from clubsite.newsletter.audience import audience_for, consent_states
from clubsite.privacy import consent
from clubsite.privacy.models import ConsentEvent
from tests.newsletter.conftest import withdraw_in_ledger


def _confirmed(f):
    return f["enrol"](["newsletter"])


def _unconfirmed(f):
    return f["enrol"](["newsletter"], confirmed=False)


def _withdrawn_in_ledger(f):
    member = f["enrol"](["newsletter"])
    withdraw_in_ledger(member, "withdrawn")
    return member


def _withdrawn_by_ending(f):
    member = f["enrol"](["access", "newsletter"])
    members.end_purpose(member, "newsletter", actor="member", reason="request")
    db.session.commit()
    return member


def _objected_consent(f):
    member = f["enrol"](["newsletter"])
    withdraw_in_ledger(member, "objected")
    return member


def _soft_eligible(f):
    return f["enrol"](["access", "newsletter"], basis="legitimate_interest")


def _soft_objected(f):
    member = f["enrol"](["access", "newsletter"], basis="legitimate_interest")
    withdraw_in_ledger(member, "objected")
    return member


def _soft_not_current(f):
    # The domain refuses a soft opt-in without a membership; a member can still lose theirs.
    member = f["enrol"](["access", "newsletter"], basis="legitimate_interest")
    members.end_purpose(member, "access", actor="system", reason="request")
    db.session.commit()
    return member


def _soft_membership_ended(f):
    member = f["enrol"](["access", "newsletter"], basis="legitimate_interest")
    member.purpose("access").ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return member


def _consent_and_ended_membership(f):
    member = f["enrol"](["access", "newsletter"])
    member.purpose("access").ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return member


def _suppressed(f):
    member = f["enrol"](["newsletter"], email="gone@example.lv")
    consent.suppress("Gone@Example.lv", "withdrawn")
    db.session.commit()
    return member


def _soft_suppressed(f):
    member = f["enrol"](["access", "newsletter"], basis="legitimate_interest", email="x@example.lv")
    consent.suppress("x@example.lv", "objected")
    db.session.commit()
    return member


def _erased(f):
    member = f["enrol"](["newsletter"])
    members.erase_member(member, actor="system", reason="request")
    db.session.commit()
    return None


def _fees_only(f):
    return f["enrol"](["access", "fees"])


def _bookings_only(f):
    return f["enrol"](["bookings"])


def _newsletter_without_email(f):
    member = f["enrol"](["bookings"])
    members.add_purpose(
        member, "newsletter", {}, basis="consent", source="staff", actor="member",
        consent_confirmed=True,
    )  # fmt: skip
    db.session.commit()
    return member


def _given_again_after_withdrawal(f):
    member = _withdrawn_in_ledger(f)
    consent.record(member, "newsletter", "given", source="self-service", actor="member")
    consent.record(member, "newsletter", "confirmed", source="self-service", actor="member")
    db.session.commit()
    return member


def _given_again_while_active(f):
    member = f["enrol"](["newsletter"])
    consent.record(member, "newsletter", "given", source="self-service", actor="member")
    db.session.commit()
    return member


def _confirmed_after_withdrawal(f):
    member = _withdrawn_in_ledger(f)
    consent.record(member, "newsletter", "confirmed", source="self-service", actor="member")
    db.session.commit()
    return member


# builder, reason, receives an ordinary newsletter, receives one about existing services
CASES = [
    (_confirmed, "consent", True, True),
    (_unconfirmed, "pending", False, False),
    (_withdrawn_in_ledger, "withdrawn", False, False),
    (_withdrawn_by_ending, None, False, False),
    (_objected_consent, "objected", False, False),
    (_soft_eligible, "soft_opt_in", False, True),
    (_soft_objected, "objected", False, False),
    (_soft_not_current, "not_current_member", False, False),
    (_soft_membership_ended, "not_current_member", False, False),
    (_consent_and_ended_membership, "consent", True, True),
    (_suppressed, "suppressed", False, False),
    (_soft_suppressed, "suppressed", False, False),
    (_erased, None, False, False),
    (_fees_only, None, False, False),
    (_bookings_only, None, False, False),
    (_newsletter_without_email, "no_newsletter_email", False, False),
    (_given_again_after_withdrawal, "consent", True, True),
    (_given_again_while_active, "consent", True, True),
    (_confirmed_after_withdrawal, "withdrawn", False, False),
]


@pytest.fixture
def population(enrol):
    """One member per case, built together so each case is judged among all the others."""
    built = [(case, case[0]({"enrol": enrol})) for case in CASES]
    return built


def test_exactly_the_lawful_set_is_selected(population):
    """Ordinary and 'existing services' newsletters each reach exactly their lawful members."""
    ordinary = {r.member_id for r in audience_for(False).recipients}
    existing = {r.member_id for r in audience_for(True).recipients}
    for (builder, _reason, to_ordinary, to_existing), member in population:
        member_id = member.id if member is not None else None
        assert (member_id in ordinary) == to_ordinary, builder.__name__
        assert (member_id in existing) == to_existing, builder.__name__
    assert len(ordinary) == sum(case[2] for case in CASES)
    assert len(existing) == sum(case[3] for case in CASES)


@pytest.mark.parametrize("soft", [False, True])
def test_reasons_are_counted(population, soft):
    """The breakdown staff see counts each member under the reason that decided it."""
    summary = audience_for(soft).summary()
    expected = {}
    for builder, reason, _o, _e in CASES:
        if builder in (_soft_eligible, _soft_suppressed) and not soft:
            reason = "not_this_newsletter"  # never a candidate, so never checked for suppression
        if reason:
            expected[reason] = expected.get(reason, 0) + 1
    assert {k: v for k, v in summary.items() if v} == expected


def test_recipient_address_and_greeting_come_from_the_newsletter_purpose(enrol):
    """First name only where it was given for the newsletter; the address is the member's."""
    named = enrol(["newsletter"], email="named@example.lv", first_name="Jānis")
    member = enrol(["access"], first_name="Pēteris", email=None)
    members.add_purpose(
        member, "newsletter", {"email": "plain@example.lv"}, basis="consent", source="staff",
        actor="member", consent_confirmed=True,
    )  # fmt: skip
    from clubsite.privacy import fields

    fields.write(member, {"email": "plain@example.lv"})
    db.session.commit()
    recipients = {r.member_id: r for r in audience_for(False, addresses=True).recipients}
    assert recipients[named.id].email == "named@example.lv"
    assert recipients[named.id].first_name == "Jānis"
    assert recipients[member.id].email == "plain@example.lv"
    assert recipients[member.id].first_name is None
    counts_only = audience_for(False).recipients  # what staff pages use: no one's address
    assert counts_only and all(r.email is None and r.first_name is None for r in counts_only)


def test_member_ids_restrict_the_audience(enrol):
    """The sender's re-check looks only at the members it asks about."""
    first = enrol(["newsletter"])
    enrol(["newsletter"])
    audience = audience_for(False, member_ids=[first.id])
    assert [r.member_id for r in audience.recipients] == [first.id]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kinds=st.lists(st.sampled_from(consent.KINDS), max_size=6))
def test_set_based_state_matches_the_ledger_fold(enrol_once, kinds):
    """The database's state for any event sequence is exactly consent.fold_state's."""
    member = enrol_once
    db.session.execute(delete(ConsentEvent).where(ConsentEvent.member_id == member.id))
    for kind in kinds:
        consent.record(member, "newsletter", kind, source="staff", actor="system")
    db.session.flush()
    states = consent_states("newsletter", [member.id])
    found = db.session.execute(select(states.c.state)).scalar_one_or_none()
    assert (found or "none") == consent.fold_state(kinds)
    db.session.rollback()


@pytest.fixture
def enrol_once(enrol):
    """One member whose ledger the property test rewrites."""
    return enrol(["access"])
