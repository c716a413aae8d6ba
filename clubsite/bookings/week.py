"""The week a site's public booking page shows: each online hall's slots, free or busy.

Times only, never a name: the halls staff opened for online booking and, per day, the slots of
each hall's hours not yet begun, from one query for the week's busy intervals of the site's
halls. WeekInputs also gives a cheap fingerprint of everything a week is made of, so the web
face can keep a rendered week while nothing changed.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import NamedTuple

from sqlalchemy import func, select

from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import Booking, Hall
from clubsite.bookings.times import MAX_HOURS, clock_text, day_range, local_moment, week_days
from clubsite.database import as_utc, utcnow
from clubsite.domain import NotFound
from clubsite.extensions import db
from clubsite.i18n import to_local
from clubsite.locations import Location, location_by_public_id


class OfferedSlot(NamedTuple):
    """One slot of a hall's online hours: its UTC times, its Riga clock times as the page and
    the booking form write them (18:00), and whether it can be booked."""

    starts_at: datetime  # UTC
    ends_at: datetime
    start: str
    end: str
    free: bool


@dataclass(frozen=True)
class HallWeek:
    """A hall's week on the public page: its name and, per day, the slots (None: not offered)."""

    public_id: str
    name: str
    capacity: int | None
    needs_approval: bool
    slot_minutes: int
    last_day: object  # the last Riga date bookable online
    days: dict


def online_sites():
    """Open sites with at least one hall bookable online, by name."""
    has_online_hall = (
        select(Hall.id).where(Hall.location_id == Location.id, Hall.active, Hall.online).exists()
    )
    query = select(Location).where(Location.active, has_online_hall).order_by(Location.name)
    return db.session.scalars(query).all()


def site_week_inputs(public_id, day, *, now=None):
    """(site, WeekInputs) of the open site with this public id that has halls bookable online,
    for the week of the day (NotFound otherwise)."""
    site = location_by_public_id(public_id)
    inputs = week_inputs(site, day, now=now) if site is not None and site.active else None
    if inputs is None or not inputs.halls:
        raise NotFound()
    return site, inputs


def _online_halls_query():
    return select(Hall).join(Location).where(Hall.active, Hall.online, Location.active)


def online_halls(site):
    """The site's halls visitors may book online, by name."""
    query = _online_halls_query().where(Hall.location_id == site.id).order_by(Hall.name)
    return db.session.scalars(query).all()


def _overlapping(hall_ids, start, end):
    """Bookings of the halls overlapping [start, end). No booking lasts longer than MAX_HOURS,
    so the start's lower bound keeps the index range (hall, starts_at) to the week."""
    earliest = start - timedelta(hours=MAX_HOURS)
    return (
        Booking.hall_id.in_(hall_ids),
        Booking.starts_at > earliest,
        Booking.starts_at < end,
        Booking.ends_at > start,
    )


def busy_intervals(hall_ids, start, end):
    """{hall id: [(starts_at, ends_at)]} of every booking overlapping [start, end): one query,
    times only (pending bookings are busy too)."""
    busy = {hall_id: [] for hall_id in hall_ids}
    if not hall_ids:
        return busy
    query = select(Booking.hall_id, Booking.starts_at, Booking.ends_at).where(
        *_overlapping(hall_ids, start, end)
    )
    for hall_id, starts_at, ends_at in db.session.execute(query):
        busy[hall_id].append((as_utc(starts_at), as_utc(ends_at)))
    return busy


def last_bookable_day(hall, now):
    """The last Riga date the hall may be booked online for (today + its days ahead)."""
    return to_local(now).date() + timedelta(days=hall.days_ahead)


def slot_times(hall, day):
    """[(starts_at, ends_at)] in UTC of the hall's slots on a Riga day: from its opening time,
    one slot length after another, the last ending by its closing time. A wall-clock time the
    clocks skip (the spring change) is left out."""
    slots = _day_slots(hall.online_opens, hall.online_closes, hall.slot_minutes, day)
    return [(starts_at, ends_at) for starts_at, ends_at, _start, _end in slots]


@lru_cache(maxsize=1024)
def _day_slots(opens, closes, length, day):
    """(starts_at, ends_at, "08:00", "09:00") of each slot: the same for every hall with the
    same hours, so a week's page works them out once per day."""
    slots = []
    minute = opens
    while minute + length <= closes:
        end = minute + length
        try:
            starts_at = local_moment(day, _clock(minute), "start")
            ends_at = local_moment(day, _clock(end), "end") if end < 1440 else _midnight(day)
        except BookingError:
            starts_at = None
        if starts_at is not None:
            slots.append((starts_at, ends_at, clock_text(minute), clock_text(end)))
        minute = end
    return tuple(slots)


def _clock(minute):
    return time(minute // 60, minute % 60)


def _midnight(day):
    return day_range(day)[1]


def _overlaps(busy, starts_at, ends_at):
    return any(s < ends_at and e > starts_at for s, e in busy)


class WeekInputs:
    """What a site's week on the public page is made of: its days, the online halls, their
    busy times and the minute it is now. The slots are a pure function of these."""

    def __init__(self, days, halls, now):
        self.days, self.halls, self.now = days, halls, now
        self.start, self.end = day_range(days[0])[0], day_range(days[-1])[1]

    @cached_property
    def busy(self):
        """The halls' busy intervals in the week (one query)."""
        return busy_intervals([hall.id for hall in self.halls], self.start, self.end)

    @cached_property
    def fingerprint(self):
        """A hashable summary of the inputs, without reading the busy times: the halls'
        settings, the minute, and a stamp of the week's bookings (how many, the sums of their
        ids and versions, the latest made). Any booking made, moved or cancelled changes the
        stamp; the minute bounds anything else to a minute (a slot is refused at booking
        anyway if it was taken meanwhile)."""
        settings = tuple(
            (h.id, h.public_id, h.name, h.capacity, h.needs_approval, h.online_opens,
             h.online_closes, h.slot_minutes, h.days_ahead)
            for h in self.halls
        )  # fmt: skip
        return (self.days[0], settings, self._bookings_stamp(), self.now)

    def _bookings_stamp(self):
        if not self.halls:
            return None
        return tuple(
            db.session.execute(
                select(
                    func.count(Booking.id),
                    func.sum(Booking.id),
                    func.sum(Booking.version),
                    func.max(Booking.created_at),
                ).where(*_overlapping([h.id for h in self.halls], self.start, self.end))
            ).one()
        )

    @property
    def last_day(self):
        """The last Riga date any of the halls may be booked online for (None without halls)."""
        return max((last_bookable_day(h, self.now) for h in self.halls), default=None)


def week_inputs(site, day, *, now=None):
    """The WeekInputs of the Monday-to-Sunday week of the day at the site. Slot times are whole
    minutes, so "now" to the minute decides which have begun exactly as "now" would."""
    now = (now or utcnow()).replace(second=0, microsecond=0)
    return WeekInputs(week_days(day), online_halls(site), now)


def site_week(site, day, *, now=None):
    """(days, [HallWeek]) of the Monday-to-Sunday week of the day: the site's online halls and
    their slots not yet begun, free or busy, up to each hall's last bookable day."""
    return offer(week_inputs(site, day, now=now))


def offer(inputs):
    """(days, [HallWeek]) worked out from a week's inputs."""
    days, now = inputs.days, inputs.now
    today = to_local(now).date()
    weeks = []
    for hall in inputs.halls:
        last = last_bookable_day(hall, now)
        offered = {}
        for d in days:
            if d < today or d > last:
                offered[d] = None
                continue
            day_start, day_end = day_range(d)
            busy = [(s, e) for s, e in inputs.busy[hall.id] if s < day_end and e > day_start]
            offered[d] = [  # slots already begun are not shown at all
                OfferedSlot(s, e, start_text, end_text, not _overlaps(busy, s, e))
                for s, e, start_text, end_text in _day_slots(
                    hall.online_opens, hall.online_closes, hall.slot_minutes, d
                )
                if s > now
            ]
        weeks.append(
            HallWeek(
                hall.public_id,
                hall.name,
                hall.capacity,
                hall.needs_approval,
                hall.slot_minutes,
                last,
                offered,
            )
        )
    return days, weeks
