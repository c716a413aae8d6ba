"""The terms memberships run on: billing periods, versions, and how long purposes last.

Shared by plans and memberships (clubsite.fees.service) and invoices (clubsite.fees.invoices),
so neither needs the other's module for these basics.
"""

import calendar
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.domain import DomainError
from clubsite.extensions import db
from clubsite.fees.models import PERIOD_MONTHS, Membership
from clubsite.i18n import CLUB_TZ
from clubsite.privacy.purposes import PURPOSES

STALE = _l(
    "Someone else changed this record while you were looking at it. Nothing was saved: "
    "check the current values below and try again."
)


class FeesError(DomainError):
    """A refused fees action; .message for people, .field names the form field (or None)."""


def check_version(row, expected_version):
    """Refuse a change made from a form that showed an older version of the row."""
    if expected_version is None or str(expected_version) != str(row.version):
        raise FeesError(STALE)


def add_months(day, months):
    """The same day `months` later, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_containing(starts_on, period, day):
    """(start, end) of the membership's billing period that contains `day` (day >= starts_on)."""
    months = PERIOD_MONTHS[period]
    index = 0
    while add_months(starts_on, (index + 1) * months) <= day:
        index += 1
    return add_months(starts_on, index * months), add_months(starts_on, (index + 1) * months) - (
        timedelta(days=1)
    )


def next_period(membership):
    """(start, end) of the period after the membership's current valid-until date.

    Periods count from the start, or after a pause from its billing anchor (clubsite.fees.desk).
    """
    anchor = membership.billing_anchor or membership.starts_on
    return period_containing(anchor, membership.plan.period, membership.ends_on + timedelta(days=1))


def memberships_of(member):
    """The member's memberships, newest first."""
    return db.session.scalars(
        select(Membership)
        .where(Membership.member_id == member.id)
        .order_by(Membership.starts_on.desc(), Membership.id.desc())
    ).all()


def _start_of_day(day):
    """Midnight at the start of a day in Riga, in UTC (SQLite keeps no time zone)."""
    return datetime.combine(day, time(), CLUB_TZ).astimezone(UTC)


def sync_purposes(member):
    """Set how long the access and fees purposes last from the member's memberships.

    While a membership renews, both purposes are ongoing. Once all have ended: access lasts
    until the last valid day plus the registry's days (30), fees until the last valid day (its
    retention blocker keeps it while invoices are open).
    """
    all_memberships = memberships_of(member)
    if not all_memberships:
        return
    ongoing = any(m.status == "active" for m in all_memberships)
    last_day = max(m.ends_on for m in all_memberships)
    ends_at = None if ongoing else _start_of_day(last_day + timedelta(days=1))
    for purpose_id in ("access", "fees"):
        enrolment = member.purpose(purpose_id)
        if enrolment is None:
            continue
        enrolment.ends_at = ends_at
        extra = timedelta(days=PURPOSES[purpose_id].retention_days_after_end)
        enrolment.keep_until = None if ends_at is None else ends_at + extra
