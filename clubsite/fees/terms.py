"""The terms memberships run on: billing periods, versions, and how long purposes last.

Shared by plans and memberships (clubsite.fees.service) and invoices (clubsite.fees.invoices),
so neither needs the other's module for these basics.
"""

import calendar
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from clubsite.domain import DomainError
from clubsite.extensions import db
from clubsite.fees.models import PERIOD_MONTHS, Membership
from clubsite.i18n import CLUB_TZ
from clubsite.privacy.models import MemberPurpose
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
    # Start a period short of the answer (months apart, less one), not at the first period.
    apart = (day.year - starts_on.year) * 12 + day.month - starts_on.month
    index = max(apart // months - 1, 0)
    while add_months(starts_on, (index + 1) * months) <= day:
        index += 1
    return add_months(starts_on, index * months), add_months(starts_on, (index + 1) * months) - (
        timedelta(days=1)
    )


def next_period(membership):
    """(start, end) of the period after the membership's current valid-until date.

    Periods count from the start, or after a pause from its billing anchor (clubsite.fees.desk).
    """
    return period_after(membership, membership.ends_on)


def period_after(membership, day):
    """(start, end) of the membership's billing period after `day`."""
    anchor = membership.billing_anchor or membership.starts_on
    return period_containing(anchor, membership.plan.period, day + timedelta(days=1))


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
    ends_at = _purposes_end([(m.status, m.ends_on) for m in all_memberships])
    for purpose_id in MEMBERSHIP_PURPOSES:
        enrolment = member.purpose(purpose_id)
        if enrolment is None:
            continue
        enrolment.ends_at = ends_at
        enrolment.keep_until = _keep_until(purpose_id, ends_at)


MEMBERSHIP_PURPOSES = ("access", "fees")


def _purposes_end(statuses_and_ends):
    """When the membership purposes end, from (status, valid until) of all the memberships:
    None while one is active, else the start of the day after the last valid day."""
    if any(status == "active" for status, _ends_on in statuses_and_ends):
        return None
    return _start_of_day(max(ends_on for _status, ends_on in statuses_and_ends) + timedelta(days=1))


def _keep_until(purpose_id, ends_at):
    extra = timedelta(days=PURPOSES[purpose_id].retention_days_after_end)
    return None if ends_at is None else ends_at + extra


def sync_purposes_of(member_ids, chunk=500):
    """sync_purposes for many members at once (the daily lapse): their memberships read in a
    query per chunk, the enrolments set in one UPDATE run for many rows (bulk, bypassing the
    session: enrolments loaded before are stale until expired)."""
    table = MemberPurpose.__table__
    statement = (
        update(table)
        .where(table.c.member_id == bindparam("m_id"), table.c.purpose == bindparam("p_id"))
        .values(ends_at=bindparam("ends_at"), keep_until=bindparam("keep_until"))
    )
    ids = sorted(member_ids)
    for start in range(0, len(ids), chunk):
        per_member = {}
        memberships = Membership.__table__
        rows = db.session.execute(
            select(memberships.c.member_id, memberships.c.status, memberships.c.ends_on).where(
                memberships.c.member_id.in_(ids[start : start + chunk])
            )
        )
        for member_id, status, ends_on in rows:
            per_member.setdefault(member_id, []).append((status, ends_on))
        params = []
        for member_id, memberships in per_member.items():
            ends_at = _purposes_end(memberships)
            params += [
                {
                    "m_id": member_id,
                    "p_id": p,
                    "ends_at": ends_at,
                    "keep_until": _keep_until(p, ends_at),
                }
                for p in MEMBERSHIP_PURPOSES
            ]
        if params:
            db.session.execute(statement, params)
