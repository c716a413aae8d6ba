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

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import aliased

from clubsite.database import utcnow
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.fees.models import Invoice, Membership, Plan
from clubsite.fees.terms import sync_purposes_of
from clubsite.i18n import today_local
from clubsite.privacy import audit
from clubsite.privacy.models import Member

CHUNK = 500
INVOICES = Invoice.__table__  # plain rows: no ORM work per invoice read


def _invoices_by_membership(membership_ids):
    """membership id -> (end of the latest paid period, [(period end, due date) of open ones])."""
    paid, unpaid = {}, defaultdict(list)
    ids = sorted(membership_ids)
    for start in range(0, len(ids), CHUNK):
        # The status is filtered here, not in SQL: with it there, SQLite walks the status index
        # (every paid invoice) instead of the few invoices of each membership.
        rows = db.session.execute(
            select(INVOICES.c.membership_id, INVOICES.c.status)
            .add_columns(INVOICES.c.period_end, INVOICES.c.due_on)
            .where(INVOICES.c.membership_id.in_(ids[start : start + CHUNK]))
        )
        for membership_id, status, period_end, due_on in rows:
            if status == "paid":
                paid[membership_id] = max(paid.get(membership_id, period_end), period_end)
            elif status == "open":
                unpaid[membership_id].append((period_end, due_on))
    return paid, unpaid


def covered_through(membership, paid_through=None):
    """The last day the membership is paid or agreed for (the day before it starts if none)."""
    days = [d for d in (paid_through, membership.agreed_until) if d is not None]
    return max(days, default=membership.starts_on - timedelta(days=1))


def last_grace_day(membership, paid_through=None, unpaid=()):
    """The last day of the membership's grace: its cover's end (or its first unpaid invoice's
    due date, if later) plus the plan's grace days."""
    return _grace_end(membership, membership.plan.grace_days, paid_through, unpaid)


def _grace_end(membership, grace_days, paid_through, unpaid):
    covered = covered_through(membership, paid_through)
    due_dates = [due_on for period_end, due_on in unpaid if period_end > covered]
    grace_from = max(covered, min(due_dates)) if due_dates else covered
    return grace_from + timedelta(days=grace_days)


def _candidates(today):
    """Active memberships whose cover (paid, agreed, or the day before the start) ended more
    than their plan's grace ago and that no unpaid invoice due since then holds in grace, as
    rows (id, member_id, starts_on, agreed_until, grace_days), in id order: only they can be
    due, so the daily run reads the memberships due and next to none else. The rows are judged
    in full by _grace_end. One query per length of grace (usually one: plans rarely differ),
    with its cutoff as a constant, which the planners estimate far better than a per-row CASE
    over the plans (PostgreSQL chose JIT and ran the invoice look-ups for every membership)."""
    plans_by_grace = defaultdict(list)
    for plan_id, days in db.session.execute(select(Plan.id, Plan.grace_days)):
        plans_by_grace[days].append(plan_id)
    rows = []
    for days, plan_ids in sorted(plans_by_grace.items()):
        rows += db.session.execute(_candidates_of_plans(plan_ids, today - timedelta(days=days)))
    return sorted(rows, key=lambda row: row.id)


def _candidates_of_plans(plan_ids, cutoff):
    # Paid or agreed through the cutoff: still in grace, whatever else is unpaid.
    paid_late = select(Invoice.id).where(
        Invoice.membership_id == Membership.id,
        Invoice.status == "paid",
        Invoice.period_end >= cutoff,
    )
    # The grace runs from the due date of the first unpaid invoice past the cover, if later.
    # An open invoice whose period ends on or after the cutoff is past the cover (which ended
    # before the cutoff: the conditions below); due on or after the cutoff, it holds the
    # membership in grace, unless an open invoice later than every paid period was due
    # before the cutoff (kept then: _grace_end decides). All three look-ups are searches of
    # the invoice index (membership, status, period end).
    recent, late, paid = aliased(Invoice), aliased(Invoice), aliased(Invoice)
    paid_after = select(paid.id).where(
        paid.membership_id == late.membership_id,
        paid.status == "paid",
        paid.period_end >= late.period_end,
    )
    late_unpaid = select(late.id).where(
        late.membership_id == recent.membership_id,
        late.status == "open",
        late.due_on < cutoff,
        ~paid_after.exists(),
    )
    held_in_grace = select(recent.id).where(
        recent.membership_id == Membership.id,
        recent.status == "open",
        recent.period_end >= cutoff,
        recent.due_on >= cutoff,
        ~late_unpaid.exists(),
    )
    return (
        select(
            Membership.id,
            Membership.member_id,
            Membership.starts_on,
            Membership.agreed_until,
            Plan.grace_days,
        )
        .join(Plan, Plan.id == Membership.plan_id)
        .where(
            Membership.plan_id.in_(plan_ids),
            Membership.status == "active",
            Membership.starts_on <= cutoff,
            or_(Membership.agreed_until.is_(None), Membership.agreed_until < cutoff),
            ~paid_late.exists(),
            ~held_in_grace.exists(),
        )
    )


def due_to_lapse(today):
    """[(membership, last grace day)] of the active memberships whose grace ended before today.

    The candidates are judged from plain rows; only the memberships due are loaded as objects.
    """
    candidates = _candidates(today)
    paid, unpaid = _invoices_by_membership([row.id for row in candidates])
    last_days = {}
    for row in candidates:
        last_day = _grace_end(row, row.grace_days, paid.get(row.id), unpaid.get(row.id, ()))
        if last_day < today:
            last_days[row.id] = last_day
    ids = sorted(last_days)
    memberships = []
    for start in range(0, len(ids), CHUNK):
        memberships += db.session.scalars(
            select(Membership)
            .where(Membership.id.in_(ids[start : start + CHUNK]))
            .order_by(Membership.id)
            .execution_options(populate_existing=True)
        ).all()
    return [(membership, last_days[membership.id]) for membership in memberships]


def lapse_memberships(today=None, *, dry_run=False):
    """Lapse every active membership whose grace is over; returns those lapsed (or that would be).

    Each becomes "lapsed", valid through its last grace day; its member's access and fees
    purposes end then (their retention starts). Audited as the system, one event per member.
    Set-based: one UPDATE for all the memberships, a few for the purposes, one audit insert.
    """
    today = today or today_local()
    due = due_to_lapse(today)
    if dry_run or not due:
        return [membership for membership, _day in due]
    now = utcnow()
    member_ids = sorted({membership.member_id for membership, _day in due})
    table = Membership.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("membership_id"), table.c.status == "active")
        .values(
            status="lapsed",
            ends_on=bindparam("last_day"),
            ended_at=now,
            version=table.c.version + 1,
        ),
        [{"membership_id": m.id, "last_day": day} for m, day in due],
    )
    for membership, _day in due:
        db.session.expire(membership)  # changed behind the session's back: read again on use
    sync_purposes_of(member_ids)
    public_ids = []
    for start in range(0, len(member_ids), CHUNK):
        public_ids += db.session.scalars(
            select(Member.public_id).where(Member.id.in_(member_ids[start : start + CHUNK]))
        )
    audit.record_many(
        "fees.membership_lapsed",
        [(pid, ()) for pid in public_ids],
        detail="grace",
        actor=SYSTEM,
    )
    return [membership for membership, _day in due]
