"""`demo seed`: refuses a club with members, and writes valid, decryptable, findable data in
realistic proportions."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from clubsite.demo import seed
from clubsite.extensions import db
from clubsite.members.cards import is_card_number
from clubsite.members.service import VALIDATORS
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import ConsentEvent, Member, MemberNameToken, MemberPurpose
from clubsite.privacy.normalize import name_prefixes
from clubsite.privacy.purposes import FIELDS


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_refuses_a_database_with_members_unless_forced(app, runner):
    """The second run is refused with a clear message; --force adds more."""
    first = runner.invoke(args=["demo", "seed", "--members", "30"])
    assert first.exit_code == 0, first.output
    refused = runner.invoke(args=["demo", "seed", "--members", "30"])
    assert refused.exit_code == 1
    assert "already holds 30 members" in refused.output and "--force" in refused.output
    assert _count(Member) == 30
    forced = runner.invoke(args=["demo", "seed", "--members", "30", "--force"])
    assert forced.exit_code == 0, forced.output
    assert _count(Member) == 60


@pytest.fixture
def demo_members(app):
    """800 demo members."""
    seed(800)
    return db.session.scalars(select(Member)).all()


def test_every_value_decrypts_and_passes_the_apps_validators(demo_members):
    """Each stored field decrypts, validates to itself, and its blind index matches the app's."""
    seen = Counter()
    for member in demo_members:
        values = store.read(member, [f for f in FIELDS if member.has_field(f)])
        for name, value in values.items():
            seen[name] += 1
            if name == "card_number":
                assert is_card_number(value)
            else:
                assert VALIDATORS[name](value) == value, (name, value)
            if name in ("email", "phone", "personal_code", "card_number"):
                assert getattr(member, f"{name}_bidx") == store.index_value(name, value)
            if name == "email":
                assert member.email_suppression_hash == consent.address_hash(value)
        tokens = set(
            db.session.scalars(
                select(MemberNameToken.token).where(MemberNameToken.member_id == member.id)
            )
        )
        prefixes = {
            p for n in ("first_name", "last_name") if n in values for p in name_prefixes(values[n])
        }
        assert tokens == {store.name_token(p) for p in prefixes}
    assert seen["personal_code"] > 20 and seen["iban"] > 5 and seen["postal_address"] > 40
    codes = [store.read(m, ["personal_code"]).get("personal_code") for m in demo_members]
    assert any(c and c.startswith("3") and c[1] in "23456789" for c in codes)  # new format too


def test_fields_are_held_only_for_the_purposes_that_use_them(demo_members):
    """A member's stored fields are exactly the union of their enrolments' fields."""
    for member in demo_members:
        stored = {f for f in FIELDS if member.has_field(f)}
        used = {f for p in member.purposes for f in p.field_list}
        assert stored == used, (member.public_id, stored, used)
        assert member.purposes


def test_purposes_and_consents_come_in_realistic_proportions(demo_members):
    """About 70 % members, 20 % bookings, 40 % newsletter (most confirmed, some withdrawn)."""
    total = len(demo_members)
    counts = Counter(db.session.scalars(select(MemberPurpose.purpose)).all())
    assert 0.62 < counts["access"] / total < 0.78
    assert counts["access"] == counts["fees"]
    assert 0.14 < counts["bookings"] / total < 0.28
    states = Counter(consent.state(m, "newsletter") for m in demo_members)
    assert states["active"] > 5 * states["pending"] > 0
    assert states["withdrawn"] + states["objected"] > 10
    given = db.session.scalar(
        select(func.count()).select_from(ConsentEvent).where(ConsentEvent.kind == "given")
    )
    assert 0.30 < given / total < 0.50
    for member in demo_members:
        if consent.state(member, "newsletter") in ("withdrawn", "objected"):
            assert member.purpose("newsletter") is None
            email = store.read(member, ["email"]).get("email")
            assert email is None or consent.is_suppressed(email)


def test_activity_is_consistent_with_the_members(demo_members):
    """Invoices decrypt to their member's name and continue the year's counter; bookings never
    overlap; check-ins are from the last 30 days; memberships belong to fee members."""
    from datetime import timedelta

    from clubsite.access.models import CheckIn
    from clubsite.bookings.models import Booking
    from clubsite.database import as_utc, utcnow
    from clubsite.fees.invoices import buyer_details, next_number
    from clubsite.fees.models import Invoice, Membership
    from clubsite.fees.service import period_containing

    by_id = {m.id: m for m in demo_members}
    invoices = db.session.scalars(select(Invoice)).all()
    assert len(invoices) > len(demo_members) // 2
    for invoice in invoices[:200]:
        names = store.read(by_id[invoice.member_id], ["first_name", "last_name"])
        assert buyer_details(invoice)["buyer_name"] == store.display_name(names)
    assert {i.status for i in invoices} == {"paid", "open"}
    year = max(i.issued_on.year for i in invoices)
    issued = [i.number for i in invoices if i.issued_on.year == year]
    assert next_number(year) == f"{year}-{len(issued) + 1:06d}"
    memberships = {m.id: m for m in db.session.scalars(select(Membership))}
    for membership in memberships.values():
        assert by_id[membership.member_id].purpose("fees") is not None
    for invoice in invoices[:300]:
        membership = memberships[invoice.membership_id]
        period = (invoice.period_start, invoice.period_end)
        assert period_containing(membership.starts_on, membership.plan.period, period[0]) == period
    slots = [(b.hall_id, as_utc(b.starts_at)) for b in db.session.scalars(select(Booking))]
    assert slots and len(slots) == len(set(slots))
    oldest = min(as_utc(c.at) for c in db.session.scalars(select(CheckIn)))
    assert utcnow() - oldest < timedelta(days=31)
    db.session.rollback()
