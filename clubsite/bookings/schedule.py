"""What is booked when: named lists for reception, and times-only occupancy for everyone else.

Occupancy functions return halls and times and nothing else, so a page built on them cannot
show a name even by mistake. Halls are keyed by their label ("Lielā zāle — Centrs"): two sites
may have halls of the same name, and their bookings must never look like one hall's. Every
function takes site_ids (None: every site) to show the sites a staff member works at.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from clubsite.bookings import contact
from clubsite.bookings.halls import active_halls
from clubsite.bookings.models import Booking, Hall
from clubsite.bookings.service import require_bookings
from clubsite.bookings.times import day_range, local_day, week_days
from clubsite.database import as_utc, utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ, to_local
from clubsite.locations import Location
from clubsite.privacy import access


@dataclass(frozen=True)
class Slot:
    """A busy time of a hall: no personal data."""

    hall: str  # the hall's label, with its site
    starts_at: object  # aware, Riga time
    ends_at: object

    def starts_before(self, day):
        """True if the slot began on an earlier day (a booking over midnight)."""
        return self.starts_at.date() < day

    def ends_after(self, day):
        """True if the slot runs past midnight at the end of the day."""
        return self.ends_at > datetime.combine(day + timedelta(days=1), time(), CLUB_TZ)


@dataclass(frozen=True)
class Row:
    """A booking as reception sees it in a list: times, hall and who it is for."""

    booking: Booking
    slot: Slot
    name: str
    kind: str  # member, visitor, anonymous


def bookings_between(start, end, site_ids=None):
    """Bookings overlapping [start, end) at the sites, by start time, site and hall name."""
    query = (
        select(Booking)
        .join(Hall, Booking.hall_id == Hall.id)
        .join(Location, Hall.location_id == Location.id)
        .where(Booking.starts_at < end, Booking.ends_at > start)
    )
    if site_ids is not None:
        query = query.where(Hall.location_id.in_(site_ids))
    return db.session.scalars(query.order_by(Booking.starts_at, Location.name, Hall.name)).all()


def _slot(booking):
    return Slot(booking.hall.label, to_local(booking.starts_at), to_local(booking.ends_at))


def named_rows(user, bookings):
    """Rows with names: members' through the access policy, visitors' decrypted; both audited."""
    require_bookings(user)
    members = list({b.member.id: b.member for b in bookings if b.member is not None}.values())
    member_names = (
        {v.member.id: v.name for v in access.read_names(user, members)} if members else {}
    )
    visitor_names = contact.visitor_names(bookings, actor=Actor.staff(user))
    rows = []
    for booking in bookings:
        if booking.member_id is not None:
            name, kind = member_names.get(booking.member_id, ""), "member"
        elif booking.id in visitor_names:
            name, kind = visitor_names[booking.id], "visitor"
        else:
            name, kind = "", "anonymous"
        rows.append(Row(booking, _slot(booking), name, kind))
    return rows


def day_rows(user, day, site_ids=None):
    """Reception's list for one Riga day, including bookings that cross midnight into it."""
    return named_rows(user, bookings_between(*day_range(day), site_ids))


def week_grid(user, day, site_ids=None):
    """(days, {hall label: {date: [rows]}}) for the Monday-to-Sunday week of the day."""
    days = week_days(day)
    start, _ = day_range(days[0])
    _, end = day_range(days[-1])
    rows = named_rows(user, bookings_between(start, end, site_ids))
    grid = {}
    for label, hall_rows in _group(rows, lambda r: r.booking.hall.label, site_ids).items():
        grid[label] = {d: [r for r in hall_rows if _overlaps_day(r.booking, d)] for d in days}
    return days, grid


def today_rows(user, site_ids=None, *, now=None):
    """Today's bookings (Riga time) with names, for the reception home panel."""
    return day_rows(user, local_day(now or utcnow()), site_ids)


def _overlaps_day(booking, day):
    start, end = day_range(day)
    return as_utc(booking.starts_at) < end and as_utc(booking.ends_at) > start


def occupancy_day(day, site_ids=None):
    """{hall label: [slots]} for every bookable hall of the sites on a Riga day: times only."""
    grouped = _group(bookings_between(*day_range(day), site_ids), _hall_label, site_ids)
    return {label: [_slot(b) for b in items] for label, items in grouped.items()}


def occupancy_week(day, site_ids=None):
    """(days, {hall label: {date: [slots]}}) for the week of the day: times only."""
    days = week_days(day)
    start, _ = day_range(days[0])
    _, end = day_range(days[-1])
    grouped = _group(bookings_between(start, end, site_ids), _hall_label, site_ids)
    grid = {
        label: {d: [_slot(b) for b in items if _overlaps_day(b, d)] for d in days}
        for label, items in grouped.items()
    }
    return days, grid


def _hall_label(booking):
    return booking.hall.label


def _group(items, key, site_ids):
    """Items by hall label, with every bookable hall of the sites present (free shows free)."""
    grouped = {hall.label: [] for hall in active_halls(site_ids)}
    for item in items:
        grouped.setdefault(key(item), []).append(item)
    return grouped


def booking_details(user, booking):
    """(row, contact values) of one booking for its page; the contact read is audited."""
    row = named_rows(user, [booking])[0]
    subject = booking.member.public_id if booking.member is not None else None
    return row, contact.read_contact_audited(booking, subject=subject, actor=Actor.staff(user))


def next_day(day, step=1):
    """The day step days later (or earlier with a negative step)."""
    return day + timedelta(days=step)
