"""Plans and memberships: sell a plan to a member, end a membership, keep purposes in step.

Every function changes the session only; the unit of work commits once. Refusals raise
FeesError (a DomainError), which the unit of work shows on the form. Every change is audited
under the Actor passed in (None: the system).
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.fees.invoices import issue_invoice, lock_counter
from clubsite.fees.models import DEFAULT_GRACE_DAYS, PERIODS, Membership, Plan
from clubsite.fees.terms import (
    FeesError,
    check_version,
    memberships_of,
    period_containing,
    sync_purposes,
)
from clubsite.i18n import today_local
from clubsite.members.service import add_purpose
from clubsite.privacy import audit
from clubsite.privacy.validation import ValidationError, clean_text

# -- plans ---------------------------------------------------------------------------------------


MAX_GRACE_DAYS = 92


def _clean_grace(grace_days):
    if grace_days is None:
        return DEFAULT_GRACE_DAYS
    if not isinstance(grace_days, int) or not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise FeesError(
            _l("Give a number of days from 0 to %(max)d.", max=MAX_GRACE_DAYS), "grace_days"
        )
    return grace_days


def _clean_plan(name, price_cents, period):
    try:
        name = clean_text(name, max_len=80)
    except ValidationError as exc:
        raise FeesError(exc.message, "name") from None
    if not name:
        raise FeesError(_l("Please fill this in."), "name")
    if period not in PERIODS:
        raise FeesError(_l("Choose a period."), "period")
    if not isinstance(price_cents, int) or price_cents <= 0:
        raise FeesError(_l("The amount must be more than zero."), "price")
    return name


def _name_taken(name, plan_id=None):
    existing = db.session.scalar(select(Plan).where(Plan.name == name))
    return existing is not None and existing.id != plan_id


def create_plan(name, price_cents, period, *, grace_days=None, actor=None):
    """A new plan (abonementa veids); grace_days None: the default 14."""
    name = _clean_plan(name, price_cents, period)
    grace_days = _clean_grace(grace_days)
    if _name_taken(name):
        raise FeesError(_l("A plan with this name already exists."), "name")
    plan = Plan(
        name=name, price_cents=price_cents, period=period, active=True, grace_days=grace_days
    )
    db.session.add(plan)
    db.session.flush()
    audit.record("fees.plan_created", detail=plan.public_id, actor=as_actor(actor))
    return plan


def update_plan(
    plan, *, name, price_cents, period, active, expected_version, grace_days=None, actor=None
):
    """Change a plan; the new price applies to invoices issued from now on, the new grace to
    every membership on the plan from the next lapse run (grace_days None: the default 14)."""
    check_version(plan, expected_version)
    name = _clean_plan(name, price_cents, period)
    grace_days = _clean_grace(grace_days)
    if _name_taken(name, plan.id):
        raise FeesError(_l("A plan with this name already exists."), "name")
    if period != plan.period and _plan_in_use(plan):
        raise FeesError(
            _l("Members hold this plan, so its period cannot change. Create a new plan instead."),
            "period",
        )
    plan.name, plan.price_cents, plan.period, plan.active = name, price_cents, period, active
    plan.grace_days = grace_days
    audit.record("fees.plan_changed", detail=plan.public_id, actor=as_actor(actor))
    return plan


def _plan_in_use(plan):
    return db.session.scalar(select(Membership.id).where(Membership.plan_id == plan.id).limit(1))


def plans(*, active_only=False):
    """All plans by name (only those on sale if active_only)."""
    query = select(Plan).order_by(Plan.name)
    if active_only:
        query = query.where(Plan.active.is_(True))
    return db.session.scalars(query).all()


def plan_by_public_id(public_id):
    """The plan with this public id, or None."""
    return db.session.scalar(select(Plan).where(Plan.public_id == (public_id or "")[:36]))


# -- memberships ---------------------------------------------------------------------------------


def membership_by_public_id(public_id):
    """The membership with this public id, or None."""
    return db.session.scalar(
        select(Membership).where(Membership.public_id == (public_id or "")[:36])
    )


def sell_membership(member, plan, *, starts_on=None, actor, today=None):
    """Give a member a membership on a plan and issue its first invoice.

    The member must be enrolled for fee administration (the invoice needs their details); club
    access is added if missing (it issues the card), on the same contract.
    """

    today = today or today_local()
    starts_on = starts_on or today
    # Serialise with other invoicing, so two desks cannot sell two memberships at once.
    lock_counter(today.year)
    if member.purpose("fees") is None:
        raise FeesError(
            _l("This member is not enrolled for fee administration. Add that purpose first.")
        )
    if plan is None or not plan.active:
        raise FeesError(_l("Choose a plan that is on sale."), "plan")
    if starts_on < today - timedelta(days=31):
        raise FeesError(_l("The start date may be at most a month in the past."), "starts_on")
    if any(m.status == "active" for m in memberships_of(member)):
        raise FeesError(
            _l("This member already has an active membership. End it before selling another.")
        )
    if member.purpose("access") is None:
        names = {f: None for f in ("first_name", "last_name") if member.has_field(f)}
        add_purpose(member, "access", names, basis="contract", source="staff", actor=actor)
    start, end = period_containing(starts_on, plan.period, starts_on)
    membership = Membership(
        member_id=member.id, plan=plan, starts_on=start, ends_on=end, status="active"
    )
    db.session.add(membership)
    db.session.flush()
    issue_invoice(member, membership=membership, period=(start, end), today=today, actor=actor)
    sync_purposes(member)
    audit.record(
        "fees.membership_sold",
        subject=member.public_id,
        detail=plan.public_id,
        actor=as_actor(actor),
    )
    return membership


def end_membership(membership, member, *, ends_on=None, expected_version, actor):
    """Stop renewing a membership; it stays valid through ends_on (by default, paid-through)."""
    check_version(membership, expected_version)
    if membership.status != "active":
        raise FeesError(_l("This membership has already ended."))
    ends_on = ends_on or membership.ends_on
    if ends_on > membership.ends_on:
        raise FeesError(_l("The end date cannot be after the valid-until date."), "ends_on")
    if ends_on < membership.starts_on - timedelta(days=1):
        raise FeesError(_l("The end date cannot be before the start date."), "ends_on")
    membership.status = "ended"
    membership.ends_on = ends_on
    membership.ended_at = utcnow()
    sync_purposes(member)
    audit.record(
        "fees.membership_ended",
        subject=member.public_id,
        detail=membership.public_id,
        actor=as_actor(actor),
    )
    return membership


def agree_membership(membership, member, *, agreed_until, expected_version, actor, today=None):
    """Record the valid-until date staff agreed for an active membership (None: no agreement).

    The membership counts as covered through that day whatever its invoices say, so it does not
    lapse before it (clubsite.fees.lapse); it is valid at the door through it, and the invoice
    run starts again after it.
    """
    check_version(membership, expected_version)
    today = today or today_local()
    if membership.status != "active":
        raise FeesError(_l("This membership has already ended."))
    if agreed_until is not None:
        if agreed_until < membership.starts_on:
            raise FeesError(_l("The date cannot be before the start date."), "agreed_until")
        if agreed_until > today + timedelta(days=2 * 366):
            raise FeesError(_l("Agree at most two years ahead."), "agreed_until")
        membership.ends_on = max(membership.ends_on, agreed_until)
    membership.agreed_until = agreed_until
    sync_purposes(member)
    audit.record(
        "fees.membership_agreed",
        subject=member.public_id,
        detail=membership.public_id,
        actor=as_actor(actor),
    )
    return membership
