"""At the desk (reception): sell or renew a plan, take cash or a card, pause a membership.

What the desk sees of fees is the plan, its price and whether each invoice is paid; never the
fees purpose's contact fields (email, postal address, personal code, IBAN), which stay with the
accountant. The member's name is read only where the staff member's role covers it (club
access), and the read is audited. Every function changes the session only.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.domain import NotFound, as_actor
from clubsite.extensions import db
from clubsite.fees import service
from clubsite.fees.invoices import invoices_of, issue_invoice, record_payment
from clubsite.fees.models import PAUSE_REASONS, Invoice, MembershipPause
from clubsite.fees.standing import decide
from clubsite.fees.terms import FeesError, memberships_of, next_period, sync_purposes
from clubsite.i18n import today_local
from clubsite.privacy import access, audit
from clubsite.privacy import fields as store

DESK_METHODS = ("cash", "card", "later")  # later: the invoice stays open (bank transfer)
RENEW_WINDOW_DAYS = 31  # a membership valid longer than this ahead is not renewed yet
BACKDATE_DAYS = 31
MAX_PAUSE_DAYS = 92
NAME_FIELDS = ("first_name", "last_name")


@dataclass
class DeskView:
    """What the desk shows: the name (if covered), memberships, invoices and the door's answer."""

    name: str
    memberships: list
    invoices: list  # (invoice, paid: bool), newest first, no void ones
    pauses: dict  # membership id -> [MembershipPause]
    open_cents: int
    decision: object
    extra: dict = field(default_factory=dict)


def member_for_desk(user, member):
    """The member if the staff member may act on them at the desk; NotFound otherwise."""
    if member is None or not access.may(user, "view", member):
        raise NotFound()
    return member


def desk_view(user, member, *, actor, today=None):
    """Everything the desk page shows of one member; the name read is audited."""
    today = today or today_local()
    names = [n for n in NAME_FIELDS if n in access.visible_fields(user, member)]
    values = store.read(member, names)
    audit.record("fees.desk_read", subject=member.public_id, fields=names, actor=as_actor(actor))
    memberships = memberships_of(member)
    rows = [i for i in invoices_of(member) if i.status != "void"]
    return DeskView(
        name=store.display_name(values),
        memberships=memberships,
        invoices=[(i, i.status == "paid") for i in rows],
        pauses=_pauses_of([m.id for m in memberships]),
        open_cents=sum(i.remaining_cents for i in rows if i.status == "open"),
        decision=decide(member, today),
    )


def _pauses_of(membership_ids):
    found = {}
    if membership_ids:
        for pause in db.session.scalars(
            select(MembershipPause)
            .where(MembershipPause.membership_id.in_(membership_ids))
            .order_by(MembershipPause.starts_on)
        ):
            found.setdefault(pause.membership_id, []).append(pause)
    return found


def _check_method(method):
    if method not in DESK_METHODS:
        raise FeesError(_l("Choose how it is paid."), "method")


def _pay_open(member, method, *, actor, today, expected_cents=None):
    """Pay every open invoice of the member in full, by cash or card; returns the sum."""
    open_invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.member_id == member.id, Invoice.status == "open")
        .order_by(Invoice.id)
        .with_for_update()
    ).all()
    total = sum(i.remaining_cents for i in open_invoices)
    if expected_cents is not None and total != expected_cents:
        raise FeesError(
            _l(
                "What is due changed meanwhile. Nothing was recorded: check the amount "
                "and try again."
            )
        )
    for invoice in open_invoices:
        if invoice.remaining_cents:
            record_payment(
                invoice,
                invoice.remaining_cents,
                method,
                actor=actor,
                expected_version=invoice.version,
                today=today,
            )
    return total


def sell_at_desk(member, plan, method, *, actor, today=None):
    """Sell a plan from today and, paid by cash or card, settle its first invoice at once."""
    today = today or today_local()
    _check_method(method)
    membership = service.sell_membership(member, plan, starts_on=today, actor=actor, today=today)
    if method != "later":
        _pay_open(member, method, actor=actor, today=today)
    return membership


def take_payment(member, method, expected_cents, *, actor, today=None):
    """Take cash or a card for everything the member owes (the sum the desk showed)."""
    today = today or today_local()
    if method not in ("cash", "card"):
        raise FeesError(_l("Choose cash or card."), "method")
    if not expected_cents:
        raise FeesError(_l("Nothing is due."))
    return _pay_open(member, method, actor=actor, today=today, expected_cents=expected_cents)


def renew_at_desk(membership, member, method, *, actor, today=None):
    """Invoice the membership's next period now (and take cash or a card for it)."""
    today = today or today_local()
    _check_method(method)
    if membership is None or membership.member_id != member.id:
        raise NotFound()
    if membership.status != "active":
        raise FeesError(_l("This membership has ended: sell a new one."))
    if _open_count(member):
        raise FeesError(_l("An invoice is still unpaid: take its payment first."))
    if membership.ends_on > today + timedelta(days=RENEW_WINDOW_DAYS):
        raise FeesError(_l("This membership is already valid for more than a month ahead."))
    start, end = next_period(membership)
    issue_invoice(member, membership=membership, period=(start, end), today=today, actor=actor)
    membership.ends_on = end
    sync_purposes(member)
    audit.record(
        "fees.membership_renewed",
        subject=member.public_id,
        detail=membership.public_id,
        actor=as_actor(actor),
    )
    if method != "later":
        _pay_open(member, method, actor=actor, today=today)
    return membership


def _open_count(member):
    return db.session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.member_id == member.id, Invoice.status == "open"
        )
    )


def _paid_through(membership):
    return db.session.scalar(
        select(func.max(Invoice.period_end)).where(
            Invoice.membership_id == membership.id, Invoice.status == "paid"
        )
    )


def _check_pause(membership, starts_on, ends_on, reason, today):
    if membership.status != "active":
        raise FeesError(_l("Only a membership that renews can be paused."))
    if reason not in PAUSE_REASONS:
        raise FeesError(_l("Choose a reason."), "reason")
    if ends_on < starts_on:
        raise FeesError(_l("The pause cannot end before it starts."), "ends_on")
    if (ends_on - starts_on).days + 1 > MAX_PAUSE_DAYS:
        raise FeesError(_l("A pause lasts at most %(days)d days.", days=MAX_PAUSE_DAYS), "ends_on")
    if starts_on < max(membership.starts_on, today - timedelta(days=BACKDATE_DAYS)):
        raise FeesError(
            _l("The pause may start at most a month ago, and not before the membership."),
            "starts_on",
        )
    if starts_on > membership.ends_on + timedelta(days=1):
        raise FeesError(
            _l("The pause must start by the day after the valid-until date."), "starts_on"
        )
    overlap = db.session.scalar(
        select(MembershipPause.id).where(
            MembershipPause.membership_id == membership.id,
            MembershipPause.starts_on <= ends_on,
            MembershipPause.ends_on >= starts_on,
        )
    )
    if overlap:
        raise FeesError(_l("This membership is already paused on some of these days."))


def pause_membership(membership, member, *, starts_on, ends_on, reason, actor, today=None):
    """Pause (freeze) a membership: no entry on those days, and the paid term moves on by them.

    The valid-until date moves by the pause's days, billing periods count on from the day
    after it, and what the member is covered for (paid or agreed, clubsite.fees.lapse) moves
    on by as much, so the pause costs the member nothing and does not make them lapse.
    """
    today = today or today_local()
    if membership is None or membership.member_id != member.id:
        raise NotFound()
    _check_pause(membership, starts_on, ends_on, reason, today)
    actor = as_actor(actor)
    days = (ends_on - starts_on).days + 1
    covered = max(
        [d for d in (_paid_through(membership), membership.agreed_until) if d is not None],
        default=membership.starts_on - timedelta(days=1),
    )
    membership.ends_on += timedelta(days=days)
    membership.billing_anchor = membership.ends_on + timedelta(days=1)
    membership.agreed_until = covered + timedelta(days=days)
    pause = MembershipPause(
        membership_id=membership.id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        created_by=actor.id or actor.kind,
    )
    db.session.add(pause)
    sync_purposes(member)
    audit.record(
        "fees.membership_paused",
        subject=member.public_id,
        detail=f"{membership.public_id}:{days}",
        actor=actor,
    )
    return pause
