"""Memberships end when they end: one neither paid (an invoice paid in full) nor agreed (the
valid-until date staff set) lapses once its plan's grace is over, is not invoiced again, and
the access and fees purposes end with it, so their retention starts. The clock is moved by
passing today= and now=."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from clubsite.database import as_utc
from clubsite.extensions import db
from clubsite.fees import invoices
from clubsite.fees.lapse import lapse_memberships
from clubsite.fees.models import Invoice, Membership, Plan
from clubsite.i18n import CLUB_TZ
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.retention import run_retention
from tests.conftest import csrf_token
from tests.fees.helpers import card_of, english, make_member, make_plan, pay, sell

APRIL = (date(2026, 4, 1), date(2026, 4, 30))
MAY = (date(2026, 5, 1), date(2026, 5, 31))


@pytest.fixture
def accountant(client_for):
    """A logged-in, trained accountant seeing English."""
    return english(client_for("accountant"))


def _riga_midday(day):
    return datetime.combine(day, time(12), CLUB_TZ).astimezone(UTC)


def _status(membership):
    db.session.expire_all()
    return db.session.get(Membership, membership.id).status


def _lapse_events():
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "fees.membership_lapsed")
    )


def test_an_unpaid_renewal_lapses_when_the_grace_is_over(app):
    """Paid through 09.04., renewal due 24.04. unpaid: 14 days later the membership lapses once,
    ends on the grace's last day, and the next invoice run leaves it alone."""
    member = make_member()
    membership, first = sell(member, make_plan())  # 10.03.-09.04.
    pay(first, today=date(2026, 3, 12))
    [issued] = invoices.generate_invoices(*APRIL, today=date(2026, 4, 1))
    db.session.commit()
    renewal = db.session.get(Invoice, issued.id)
    assert renewal.due_on == date(2026, 4, 24)

    assert lapse_memberships(date(2026, 5, 8)) == []  # the grace's last day: still active
    assert [m.id for m in lapse_memberships(date(2026, 5, 9))] == [membership.id]
    db.session.commit()
    db.session.expire_all()
    membership = db.session.get(Membership, membership.id)
    assert (membership.status, membership.ends_on) == ("lapsed", date(2026, 5, 8))
    assert lapse_memberships(date(2026, 5, 9)) == []  # a second run finds nothing
    db.session.commit()
    assert _lapse_events() == 1

    assert invoices.generate_invoices(*MAY, today=date(2026, 5, 10)) == []
    db.session.commit()
    assert db.session.scalar(select(func.count(Invoice.id))) == 2
    db.session.refresh(member)
    access = member.purpose("access")
    assert as_utc(access.ends_at) == datetime(2026, 5, 9, tzinfo=CLUB_TZ)
    assert as_utc(access.keep_until) == datetime(2026, 6, 8, tzinfo=CLUB_TZ)  # + 30 days


def test_a_paid_renewal_keeps_the_membership(app):
    """Every period paid: the membership renews and never lapses."""
    member = make_member()
    membership, first = sell(member, make_plan())
    pay(first, today=date(2026, 3, 12))
    [issued] = invoices.generate_invoices(*APRIL, today=date(2026, 4, 1))
    db.session.commit()
    renewal = db.session.get(Invoice, issued.id)
    pay(renewal, today=date(2026, 4, 20))
    assert lapse_memberships(date(2026, 5, 9)) == []
    db.session.commit()
    assert _status(membership) == "active"


def test_a_renewal_nobody_issued_lapses_too(app):
    """Paid through 09.04. and no later invoice: after 23.04. it has lapsed."""
    member = make_member()
    membership, first = sell(member, make_plan())
    pay(first, today=date(2026, 3, 12))
    assert lapse_memberships(date(2026, 4, 23)) == []
    assert len(lapse_memberships(date(2026, 4, 24))) == 1
    db.session.commit()
    assert db.session.get(Membership, membership.id).ends_on == date(2026, 4, 23)


def test_an_invoice_not_yet_due_is_not_late(app):
    """The first invoice (due 24.03.) unpaid: the grace counts from its due date."""
    member = make_member()
    membership, first = sell(member, make_plan())
    assert first.due_on == date(2026, 3, 24)
    assert lapse_memberships(date(2026, 4, 7)) == []
    assert len(lapse_memberships(date(2026, 4, 8))) == 1
    db.session.commit()
    assert _status(membership) == "lapsed"


def test_a_date_agreed_by_staff_covers_the_membership(accountant):
    """The accountant agrees it is valid until 30.06.: valid at the door through then, not
    invoiced for those months, and it lapses only after 30.06. plus the grace."""
    member = make_member()
    membership, _first = sell(member, make_plan())  # unpaid
    url = f"/office/fees/members/{member.public_id}"
    response = accountant.post(
        f"/office/fees/memberships/{membership.public_id}/agree",
        data={
            "agreed_until": "2026-06-30",
            "version": str(membership.version),
            "csrf_token": csrf_token(accountant, url),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    membership = db.session.get(Membership, membership.id)
    assert (membership.agreed_until, membership.ends_on) == (date(2026, 6, 30), date(2026, 6, 30))
    assert "agreed until 30.06.2026" in accountant.get(url).get_data(as_text=True)
    assert invoices.generate_invoices(*MAY, today=date(2026, 5, 1)) == []
    assert lapse_memberships(date(2026, 7, 14)) == []
    assert len(lapse_memberships(date(2026, 7, 15))) == 1
    db.session.commit()
    page = accountant.get(url).get_data(as_text=True)
    assert 'data-status="lapsed"' in page


def test_an_agreement_before_the_start_is_refused(accountant):
    """A date before the membership starts changes nothing."""
    member = make_member()
    membership, _first = sell(member, make_plan())
    url = f"/office/fees/members/{member.public_id}"
    response = accountant.post(
        f"/office/fees/memberships/{membership.public_id}/agree",
        data={
            "agreed_until": "2026-01-01",
            "version": str(membership.version),
            "csrf_token": csrf_token(accountant, url),
        },
        follow_redirects=True,
    )
    assert "cannot be before the start date" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).agreed_until is None


def test_the_grace_is_set_on_the_plan_page(accountant):
    """The accountant shortens the grace to 3 days; memberships on the plan lapse that soon.
    More than 92 days is refused."""
    plan = make_plan()
    url = f"/office/fees/plans/{plan.public_id}"
    page = accountant.get(url).get_data(as_text=True)
    assert 'name="grace_days"' in page and 'value="14"' in page
    data = {
        "name": plan.name,
        "price": "35,00",
        "period": "month",
        "active": "y",
        "version": str(plan.version),
        "csrf_token": csrf_token(accountant, url),
    }
    page = accountant.post(url, data={**data, "grace_days": "200"}).get_data(as_text=True)
    assert "from 0 to 92" in page
    assert accountant.post(url, data={**data, "grace_days": "3"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).grace_days == 3

    membership, _first = sell(make_member(), db.session.get(Plan, plan.id))  # due 24.03.
    assert lapse_memberships(date(2026, 3, 27)) == []
    assert len(lapse_memberships(date(2026, 3, 28))) == 1


def test_the_daily_retention_run_lapses_and_then_ends_the_purposes(app):
    """Retention runs the lapse by itself (a dry run only counts); 30 days after the lapse the
    access purpose ends and the card number is erased, while the unpaid invoice holds fees."""
    member = make_member()
    membership, _first = sell(member, make_plan())  # unpaid: lapses after 07.04.
    assert card_of(member)

    report = run_retention(now=_riga_midday(date(2026, 4, 8)), dry_run=True)
    assert report.tasks["memberships"] == 1
    assert _status(membership) == "active"
    report = run_retention(now=_riga_midday(date(2026, 4, 8)))
    assert report.tasks["memberships"] == 1
    assert _status(membership) == "lapsed"
    assert run_retention(now=_riga_midday(date(2026, 4, 9))).tasks["memberships"] == 0

    report = run_retention(now=_riga_midday(date(2026, 5, 9)))  # 08.04. + 30 days, and a day
    assert (member.public_id, "access") in {(pid, p) for pid, p, _f in report.ended}
    db.session.expire_all()
    member = db.session.get(type(member), member.id)
    assert member.purpose("access") is None and member.purpose("fees") is not None
    assert not member.has_field("card_number")


def test_a_lapse_long_past_ends_the_purposes_in_the_same_run(app):
    """The first run after a long pause lapses the membership and, in that same run, ends the
    access purpose whose 30 days are already over: the next day's run has nothing left."""
    member = make_member()
    sell(member, make_plan())  # unpaid: its grace ended 07.04.
    report = run_retention(now=_riga_midday(date(2026, 5, 9)))
    assert report.tasks["memberships"] == 1
    assert (member.public_id, "access") in {(pid, p) for pid, p, _f in report.ended}
    later = run_retention(now=_riga_midday(date(2026, 5, 10)))
    assert (later.tasks["memberships"], later.ended) == (0, [])
    db.session.expire_all()
    member = db.session.get(type(member), member.id)
    assert member.purpose("access") is None and not member.has_field("card_number")
