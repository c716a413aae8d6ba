"""The lapse's candidate query leaves out in SQL what cannot lapse yet (paid or agreed through
the cutoff, or in grace from a recent unpaid invoice), so a day with nothing due reads nothing:
day by day it picks exactly the memberships the rule (clubsite.fees.lapse.last_grace_day, over
all of a membership's invoices) finds due, with the same last days."""

from datetime import date, timedelta

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.fees.lapse import _candidates, due_to_lapse, lapse_memberships, last_grace_day
from clubsite.fees.models import Invoice, Membership
from tests.fees.helpers import make_member, make_plan, pay, sell

# Monthly periods from the sale on 10.03.2026 (due 14 days after they start; grace 14 days).
M1, M2, M3, M4 = (
    (date(2026, 3, 10), date(2026, 4, 9)),
    (date(2026, 4, 10), date(2026, 5, 9)),
    (date(2026, 5, 10), date(2026, 6, 9)),
    (date(2026, 6, 10), date(2026, 7, 9)),
)
# The first invoice (M1) is the sale's own; then the later periods and their statuses.
PATTERNS = {
    "old unpaid, paid since, renewal unpaid": ("paid", [(M2, "open"), (M3, "paid"), (M4, "open")]),
    "two unpaid": ("open", [(M2, "open")]),
    "renewal unpaid": ("paid", [(M2, "open")]),
    "no renewal issued": ("paid", []),
    "first unpaid, later paid": ("open", [(M2, "paid")]),
    "never paid": ("open", []),
    "renewal void, next unpaid": ("paid", [(M2, "void"), (M3, "open")]),
    "two renewals unpaid": ("paid", [(M2, "paid"), (M3, "open"), (M4, "open")]),
}


def _invoice(membership, first, period, status, number):
    start, end = period
    invoice = Invoice(
        number=f"T-{number:04d}",
        member_id=membership.member_id,
        membership_id=membership.id,
        description=first.description,
        issued_on=start - timedelta(days=5),
        period_start=start,
        period_end=end,
        due_on=start + timedelta(days=14),
        amount_cents=first.amount_cents,
        paid_cents=first.amount_cents if status == "paid" else 0,
        status=status,
        keep_until=first.keep_until,
    )
    db.session.add(invoice)


def _memberships():
    """One membership per pattern (committed), one of them agreed through 30.04. too."""
    plan = make_plan()
    made, number = [], 0
    for index, (first_status, later) in enumerate(PATTERNS.values()):
        member = make_member(email=f"lapse{index}@example.lv", phone=f"+3712000{index:04d}")
        membership, first = sell(member, plan)
        if first_status == "paid":
            pay(first, today=date(2026, 3, 12))
        for period, status in later:
            number += 1
            _invoice(membership, first, period, status, number)
        made.append(membership)
    made[1].agreed_until = date(2026, 4, 30)  # "two unpaid": agreed over M1, not M2
    db.session.commit()
    return made


def _by_the_rule(today):
    """{membership id: last grace day} of the active memberships due, from every invoice."""
    due = {}
    for membership in db.session.scalars(select(Membership).where(Membership.status == "active")):
        rows = db.session.execute(
            select(Invoice.status, Invoice.period_end, Invoice.due_on).where(
                Invoice.membership_id == membership.id
            )
        ).all()
        paid = max((r.period_end for r in rows if r.status == "paid"), default=None)
        unpaid = [(r.period_end, r.due_on) for r in rows if r.status == "open"]
        last_day = last_grace_day(membership, paid, unpaid)
        if last_day < today:
            due[membership.id] = last_day
    return due


def test_the_candidates_are_exactly_the_memberships_due_day_by_day(app):
    """From the first due date to past the last period, the query reads only memberships due."""
    _memberships()
    day, seen = date(2026, 3, 20), set()
    while day <= date(2026, 8, 10):
        expected = _by_the_rule(day)
        assert {row.id for row in _candidates(day)} == set(expected), day
        assert {m.id: last for m, last in due_to_lapse(day)} == expected, day
        seen |= set(expected)
        day += timedelta(days=3)
    assert len(seen) == len(PATTERNS)  # every pattern lapses some day: each was judged


def test_a_recent_unpaid_renewal_is_not_read_after_an_old_covered_debt(app):
    """Paid through 09.06. (an April invoice left open, May paid), the June renewal due 24.06.
    unpaid: in its grace the membership is not a candidate at all; it lapses after 08.07."""
    membership = _memberships()[0]
    assert membership.id not in {row.id for row in _candidates(date(2026, 7, 8))}
    assert membership.id not in {m.id for m in lapse_memberships(date(2026, 7, 8))}
    lapsed = {m.id for m in lapse_memberships(date(2026, 7, 9))}
    db.session.commit()
    assert membership.id in lapsed
    assert db.session.get(Membership, membership.id).ends_on == date(2026, 7, 8)
    assert _candidates(date(2026, 7, 9)) == []  # what was due has lapsed: nothing left to read
