"""Memberships end when nobody pays for them or agrees to them any more: the lapse.

What covers a membership, decided here once:
- **paid**: an invoice of the membership whose status is "paid" (its payments reach its amount).
  The membership is paid through the last day of its latest paid period. An open invoice, even
  part-paid, and a void one cover nothing.
- **agreed**: the valid-until date staff set on the membership (`agreed_until`: a free month, a
  payment plan, a year paid outside the invoices). It covers the membership through that day.

A membership is covered through the later of the two (before any of them: the day before it
starts). After that it keeps its plan's grace (`Plan.grace_days`), counted from the end of its
cover, or from the due date of its first unpaid invoice if that is later (an invoice not yet due
cannot be late). When the grace is over, an active membership lapses: its status becomes
"lapsed", it was valid through the last day of the grace, `generate_invoices` no longer
invoices it, and `sync_purposes` ends the access and fees purposes from that day, which starts
their retention clocks. So both an unpaid renewal and a renewal nobody issued (no invoice
after the paid period) end the membership. Its unpaid invoices stay open: a debt is the
accountant's to collect or void (the fees purpose is held while one is open).

`lapse_memberships` only changes the session; it runs daily as the retention task
"memberships" (the retention job commits), and before every invoice run. A second run finds
nothing left to do.
"""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.fees.models import Invoice, Membership
from clubsite.fees.terms import sync_purposes
from clubsite.i18n import today_local
from clubsite.privacy import audit
from clubsite.privacy.models import Member

CHUNK = 500


def _invoices_by_membership(membership_ids):
    """membership id -> (end of the latest paid period, [(period end, due date) of open ones])."""
    paid, unpaid = {}, defaultdict(list)
    ids = sorted(membership_ids)
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(Invoice.membership_id, Invoice.status, Invoice.period_end, Invoice.due_on).where(
                Invoice.membership_id.in_(ids[start : start + CHUNK]),
                Invoice.status.in_(("paid", "open")),
            )
        )
        for membership_id, status, period_end, due_on in rows:
            if status == "paid":
                paid[membership_id] = max(paid.get(membership_id, period_end), period_end)
            else:
                unpaid[membership_id].append((period_end, due_on))
    return paid, unpaid


def covered_through(membership, paid_through=None):
    """The last day the membership is paid or agreed for (the day before it starts if none)."""
    days = [d for d in (paid_through, membership.agreed_until) if d is not None]
    return max(days, default=membership.starts_on - timedelta(days=1))


def last_grace_day(membership, paid_through=None, unpaid=()):
    """The last day of the membership's grace: its cover's end (or its first unpaid invoice's
    due date, if later) plus the plan's grace days."""
    covered = covered_through(membership, paid_through)
    due_dates = [due_on for period_end, due_on in unpaid if period_end > covered]
    grace_from = max(covered, min(due_dates)) if due_dates else covered
    return grace_from + timedelta(days=membership.plan.grace_days)


def due_to_lapse(today):
    """[(membership, last grace day)] of the active memberships whose grace ended before today."""
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.status == "active")
        .order_by(Membership.id)
        .execution_options(populate_existing=True)
    ).all()
    paid, unpaid = _invoices_by_membership([m.id for m in memberships])
    due = []
    for membership in memberships:
        last_day = last_grace_day(
            membership, paid.get(membership.id), unpaid.get(membership.id, ())
        )
        if last_day < today:
            due.append((membership, last_day))
    return due


def lapse_memberships(today=None, *, dry_run=False):
    """Lapse every active membership whose grace is over; returns those lapsed (or that would be).

    Each becomes "lapsed", valid through its last grace day; its member's access and fees
    purposes end then (their retention starts). Audited as the system, one event per member.
    """
    today = today or today_local()
    due = due_to_lapse(today)
    if dry_run or not due:
        return [membership for membership, _day in due]
    now = utcnow()
    for membership, last_day in due:
        membership.status = "lapsed"
        membership.ends_on = last_day
        membership.ended_at = now
    db.session.flush()
    member_ids = sorted({membership.member_id for membership, _day in due})
    public_ids = []
    for member_id in member_ids:
        member = db.session.get(Member, member_id)
        sync_purposes(member)
        public_ids.append(member.public_id)
    audit.record_many(
        "fees.membership_lapsed", [(pid, ()) for pid in public_ids], detail="grace", actor=SYSTEM
    )
    return [membership for membership, _day in due]
