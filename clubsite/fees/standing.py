"""A member's standing at the door: a current membership and no invoice unpaid past the grace
period. Fee data decides it, so it lives here; the check-in (clubsite.access) asks it."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.fees.invoices import overdue_query
from clubsite.fees.models import Invoice, Membership, MembershipPause
from clubsite.i18n import format_date

REASON_TEXT = {
    # No full stop after a date: the Latvian date already ends with one (29.11.2026.).
    "allowed": _l("Valid until %(date)s"),
    "unknown_card": _l("Unknown card."),
    "no_membership": _l("No membership."),
    "not_started": _l("The membership starts on %(date)s"),
    "expired": _l("The membership expired on %(date)s"),
    "unpaid": _l("Unpaid invoice, due %(date)s"),
    "paused": _l("The membership is paused until %(date)s"),
}


@dataclass
class Decision:
    """Whether a member may come in, why, and the date the reason refers to."""

    allowed: bool
    reason: str
    day: object = None

    @property
    def message(self):
        """The reason for people, in the current language."""
        return str(REASON_TEXT[self.reason]) % {"date": format_date(self.day)}


def grace_days():
    """Days an invoice may be past due before access is denied (ACCESS_GRACE_DAYS)."""
    return int(current_app.config.get("ACCESS_GRACE_DAYS", 7))


def decide(member, today):
    """The door's answer for a member on a day (Riga date); nothing is logged."""
    if member is None:
        return Decision(False, "unknown_card")
    memberships = db.session.scalars(
        select(Membership).where(Membership.member_id == member.id)
    ).all()
    if not memberships:
        return Decision(False, "no_membership")
    current = [m for m in memberships if m.starts_on <= today <= m.ends_on]
    if not current:
        past = [m.ends_on for m in memberships if m.ends_on < today]
        if past:
            return Decision(False, "expired", max(past))
        return Decision(False, "not_started", min(m.starts_on for m in memberships))
    pause = _pause_on([m.id for m in current], today)
    if pause is not None:
        return Decision(False, "paused", pause.ends_on)
    unpaid = db.session.scalars(
        overdue_query(today, grace_days=grace_days()).where(Invoice.member_id == member.id)
    ).first()
    if unpaid is not None:
        return Decision(False, "unpaid", unpaid.due_on)
    return Decision(True, "allowed", max(m.ends_on for m in current))


def _pause_on(membership_ids, today):
    """The pause of one of these memberships that covers the day, or None."""
    return db.session.scalar(
        select(MembershipPause).where(
            MembershipPause.membership_id.in_(membership_ids),
            MembershipPause.starts_on <= today,
            MembershipPause.ends_on >= today,
        )
    )
