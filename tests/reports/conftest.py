"""A small, known data set for the reports: every figure the tests expect is written here.

Rows go in directly (the demo writer does the same): the reports count rows, so the test needs
rows with known times, sites and kinds, not the services that make them. Times are given in
Riga and stored in UTC, some right at a month's or a week's edge, so a report that grouped by
UTC would put them in the wrong bucket.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from clubsite.access.models import CheckIn
from clubsite.bookings.models import Booking, Hall
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.fees.models import Invoice, Membership, Payment, Plan
from clubsite.i18n import CLUB_TZ, today_local
from clubsite.locations import Location
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy import audit
from clubsite.privacy.models import ConsentEvent, ErasureJournal, Member, MemberPurpose
from clubsite.registers.models import Breach, SubjectRequest

RANGE = {"from": "2025-01", "to": "2025-03"}


def riga(year, month, day, hour=12, minute=0):
    """A moment given on Riga's clock, as the UTC datetime the database stores."""
    return datetime(year, month, day, hour, minute, tzinfo=CLUB_TZ).astimezone(UTC)


@pytest.fixture(autouse=True)
def no_report_memory(app):
    """Every request counts afresh (the sections' short memory would hide the data set)."""
    app.config["REPORTS_CACHE_SECONDS"] = 0


@dataclass
class Sites:
    """The two sites of the data set."""

    riga: Location
    jurmala: Location


@pytest.fixture
def sites(app):
    """Two sites: Rīga and Jūrmala."""
    riga_site = Location(name="Rīga – centrs", address="Brīvības iela 1")
    jurmala = Location(name="Jūrmala", address="Jomas iela 5")
    db.session.add_all([riga_site, jurmala])
    db.session.commit()
    return Sites(riga_site, jurmala)


def _members(count, site):
    members = [Member(location_id=site.id, language="lv") for _ in range(count)]
    db.session.add_all(members)
    db.session.flush()
    return members


def _enrol(members, purpose, started):
    for member in members:
        db.session.add(
            MemberPurpose(
                member_id=member.id,
                purpose=purpose,
                legal_basis="contract",
                source="staff",
                fields="first_name",
                started_at=started,
            )
        )


@pytest.fixture
def member_data(sites):
    """Joined: Jan access 6 at Rīga + 3 at Jūrmala, newsletter 7 at Rīga; Feb fees 5 at Rīga
    (at 00:30 on 1 February in Riga, still January in UTC). Current plans: Mēneša 5 at Rīga and
    1 at Jūrmala (one more expired), Gada 2. Left this month: newsletter 6, access 3, erased 7
    (a merge is not counted)."""
    riga_members = _members(13, sites.riga)
    jurmala_members = _members(3, sites.jurmala)
    _enrol(riga_members[:6], "access", riga(2025, 1, 10))
    _enrol(jurmala_members, "access", riga(2025, 1, 20))
    _enrol(riga_members[:7], "newsletter", riga(2025, 1, 31, 23, 30))
    _enrol(riga_members[7:12], "fees", riga(2025, 2, 1, 0, 30))
    today = today_local()
    month_plan = Plan(name="Mēneša abonements", price_cents=3500, period="month")
    year_plan = Plan(name="Gada abonements", price_cents=32000, period="year")
    db.session.add_all([month_plan, year_plan])
    db.session.flush()
    current = dict(starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=20))
    for member in riga_members[:5] + jurmala_members[:1]:
        db.session.add(Membership(member_id=member.id, plan_id=month_plan.id, **current))
    db.session.add(
        Membership(
            member_id=riga_members[12].id,
            plan_id=month_plan.id,
            starts_on=today - timedelta(days=90),
            ends_on=today - timedelta(days=60),
            status="ended",
        )
    )
    for member in riga_members[5:7]:
        db.session.add(Membership(member_id=member.id, plan_id=year_plan.id, **current))
    ended = [(f"gone-{i}", ()) for i in range(6)]
    audit.record_many("member.purpose_ended", ended, detail="newsletter:request", actor=SYSTEM)
    ended = [(f"gone-a-{i}", ()) for i in range(3)]
    audit.record_many("member.purpose_ended", ended, detail="access:retention", actor=SYSTEM)
    for i in range(7):
        db.session.add(ErasureJournal(public_id=f"erased-{i}", reason="retention"))
    db.session.add(ErasureJournal(public_id="merged-0", reason="merge"))
    db.session.commit()
    return sites


def last_week_day(weekday):
    """The date of that weekday (0 = Monday) in the week before this one (in the log's 30 days)."""
    today = today_local()
    monday = today - timedelta(days=today.weekday() + 7)
    return monday + timedelta(days=weekday)


@pytest.fixture
def attendance_data(sites):
    """Check-ins last week: Monday 18:xx at Rīga 7 (and 2 refused), Tuesday 09:xx at Rīga 3,
    Wednesday 07:xx at Jūrmala 5. Bookings of Rīga's hall: 1.5 h and 2 h in the week of
    6 January 2025, and 1 h at 00:30 on Monday 13 January (Sunday in UTC)."""

    def checkins(day, hour, count, site, allowed=True):
        for minute in range(count):
            at = datetime.combine(day, datetime.min.time().replace(hour=hour, minute=minute))
            at = at.replace(tzinfo=CLUB_TZ).astimezone(UTC)
            reason = "allowed" if allowed else "expired"
            db.session.add(CheckIn(at=at, allowed=allowed, reason=reason, location_id=site.id))

    checkins(last_week_day(0), 18, 7, sites.riga)
    checkins(last_week_day(0), 18, 2, sites.riga, allowed=False)
    checkins(last_week_day(1), 9, 3, sites.riga)
    checkins(last_week_day(2), 7, 5, sites.jurmala)
    hall = Hall(name="Lielā zāle", location_id=sites.riga.id, capacity=30)
    other = Hall(name="Lielā zāle", location_id=sites.jurmala.id, capacity=20)
    db.session.add_all([hall, other])
    db.session.flush()
    for start, minutes in (
        (riga(2025, 1, 7, 10), 90),
        (riga(2025, 1, 9, 18), 120),
        (riga(2025, 1, 13, 0, 30), 60),
    ):
        db.session.add(
            Booking(
                hall_id=hall.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                created_by="test",
            )
        )
    db.session.commit()
    return sites


def _invoice(number, issued, *, status="paid", paid=True, due=None):
    invoice = Invoice(
        number=f"2025-{number:06d}",
        description="Mēneša abonements",
        issued_on=issued,
        period_start=issued,
        period_end=issued + timedelta(days=30),
        due_on=due or issued + timedelta(days=14),
        amount_cents=3500,
        paid_cents=3500 if paid else 0,
        status=status,
        keep_until=date(2030, 12, 31),
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


@pytest.fixture
def fee_data(app):
    """January: 8 invoices of 35,00 € paid on 15 January (3 by transfer, 2 cash, 3 card; one
    more came back from the bank) and 1 void. February: 5 invoices, open and overdue."""
    paid_on = date(2025, 1, 15)
    invoices = [_invoice(i, date(2025, 1, 10)) for i in range(8)]
    for invoice, method in zip(
        invoices, ["transfer"] * 3 + ["cash"] * 2 + ["card"] * 3, strict=True
    ):
        db.session.add(
            Payment(
                invoice_id=invoice.id,
                amount_cents=3500,
                method=method,
                paid_on=paid_on,
                recorded_by="test",
            )
        )
    db.session.add(
        Payment(
            invoice_id=invoices[0].id,
            amount_cents=3500,
            method="sepa_dd",
            paid_on=paid_on,
            recorded_by="test",
            returned_on=date(2025, 1, 20),
        )
    )
    _invoice(100, date(2025, 1, 12), status="void", paid=False)
    for i in range(5):
        _invoice(200 + i, date(2025, 2, 1), status="open", paid=False, due=date(2025, 2, 15))
    db.session.commit()


@pytest.fixture
def newsletter_data(app):
    """A campaign of 7 recipients in January (6 sent, 1 failed, 5 unsubscribed after it), one of
    3 whose subject starts like a formula, and a draft. Ledger: 6 opt-ins and 3 withdrawals."""
    big = Newsletter(
        subject_lv="Janvāra jaunumi",
        body_lv="x",
        status="sent",
        queued_at=riga(2025, 1, 20),
        recipients_count=7,
    )
    small = Newsletter(
        subject_lv="=1+1 akcija",
        body_lv="x",
        status="sent",
        queued_at=riga(2025, 1, 25),
        recipients_count=3,
    )
    draft = Newsletter(subject_lv="Melnraksts", body_lv="x", status="draft")
    db.session.add_all([big, small, draft])
    db.session.flush()
    for i in range(7):
        db.session.add(
            Delivery(
                newsletter_id=big.id,
                language="lv",
                basis="consent",
                status="failed" if i == 6 else "sent",
                unsubscribed_at=riga(2025, 1, 22) if i < 5 else None,
            )
        )
    for _ in range(3):
        db.session.add(
            Delivery(newsletter_id=small.id, language="lv", basis="consent", status="sent")
        )
    for kind, count in (("confirmed", 6), ("withdrawn", 3), ("given", 9)):
        for _ in range(count):
            db.session.add(
                ConsentEvent(
                    purpose="newsletter",
                    kind=kind,
                    at=riga(2025, 1, 5),
                    source="signup",
                    actor="member",
                )
            )
    db.session.commit()


@pytest.fixture
def protection_data(app):
    """January: 5 access requests and 2 erasure requests; 5 breaches told within 72 hours and
    1 told later; erasures 6 on request and 2 at the end of retention. Open now: 5 requests past
    their deadline and 1 due within a week."""
    now = datetime.now(UTC)
    received = riga(2025, 1, 8)
    for kind, count in (("access", 5), ("erasure", 2)):
        for _ in range(count):
            db.session.add(
                SubjectRequest(
                    kind=kind,
                    received_at=received,
                    due_at=received + timedelta(days=31),
                    status="done",
                    source="email",
                    closed_at=received + timedelta(days=3),
                )
            )
    for due in [now - timedelta(days=1)] * 5 + [now + timedelta(days=3)]:
        db.session.add(
            SubjectRequest(
                kind="access", received_at=now - timedelta(days=20), due_at=due, source="desk"
            )
        )
    detected = riga(2025, 1, 14)
    for hours in [10] * 5 + [100]:
        db.session.add(
            Breach(detected_at=detected, authority_notified_at=detected + timedelta(hours=hours))
        )
    for reason, count in (("request", 6), ("retention", 2)):
        for i in range(count):
            db.session.add(
                ErasureJournal(public_id=f"{reason}-{i}", reason=reason, erased_at=riga(2025, 1, 3))
            )
    db.session.commit()
