"""Booking times: typed and shown in Riga time, stored in UTC; days and weeks as UTC ranges."""

import re
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from clubsite.bookings.errors import BookingError
from clubsite.database import as_utc, utcnow
from clubsite.i18n import CLUB_TZ, to_local
from clubsite.privacy.purposes import PURPOSES

MAX_HOURS = 12
MAX_DAYS_AHEAD = 366
MAX_WEEKS = 52  # a weekly series: at most a year of weeks after the first

_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_LV_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\.?")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")


def parse_day(text, field="day"):
    """A date typed as 2026-11-29 (what browsers send) or 29.11.2026."""
    text = (text or "").strip()
    iso, local = _ISO_DAY.fullmatch(text), _LV_DAY.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if local:
            return date(int(local[3]), int(local[2]), int(local[1]))
    except ValueError:
        pass
    raise BookingError(_l("Enter a date like 29.11.2026."), field)


def parse_clock(text, field):
    """A time of day typed as 18:30 (or 18.30)."""
    match = _CLOCK.fullmatch((text or "").strip())
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise BookingError(_l("Enter a time like 18:30."), field)


def local_moment(day, clock, field):
    """The UTC moment of a Riga wall-clock time; refuses the hour skipped when clocks go forward."""
    moment = datetime.combine(day, clock, tzinfo=CLUB_TZ)
    back = moment.astimezone(UTC).astimezone(CLUB_TZ)
    if (back.date(), back.time()) != (day, clock):
        raise BookingError(
            _l("This time does not exist on that day: the clocks move forward an hour."), field
        )
    return moment.astimezone(UTC)


def parse_times(day_text, start_text, end_text):
    """(starts_at, ends_at) in UTC from a typed day, start and end.

    An end before the start means the next day (23:30–00:30), as long as the booking stays
    within the maximum length; otherwise it is a typing error.
    """
    day = parse_day(day_text)
    start_clock = parse_clock(start_text, "start")
    end_clock = parse_clock(end_text, "end")
    starts_at = local_moment(day, start_clock, "start")
    end_day = day + timedelta(days=1) if end_clock <= start_clock else day
    ends_at = local_moment(end_day, end_clock, "end")
    if end_day != day and ends_at - starts_at > timedelta(hours=MAX_HOURS):
        raise BookingError(_l("The end must be after the start."), "end")
    return starts_at, ends_at


def weekly_times(day_text, start_text, end_text, until_text=None):
    """[(starts_at, ends_at)] in UTC: the typed times, and with until_text the same wall-clock
    times every week up to and including that date (so a series keeps 18:00 across DST)."""
    first = parse_times(day_text, start_text, end_text)
    if not (until_text or "").strip():
        return [first]
    day, until = parse_day(day_text), parse_day(until_text, "repeat_until")
    weeks = (until - day).days // 7
    if weeks < 1:
        raise BookingError(
            _l("Repeat until a date at least a week after the first booking."), "repeat_until"
        )
    if weeks > MAX_WEEKS:
        raise BookingError(
            _l("A weekly booking repeats for at most %(weeks)d weeks.", weeks=MAX_WEEKS),
            "repeat_until",
        )
    return [first] + [
        parse_times((day + timedelta(weeks=n)).isoformat(), start_text, end_text)
        for n in range(1, weeks + 1)
    ]


def check_limits(starts_at, ends_at, *, now=None):
    """End after start, at most 12 hours, not before today, not more than a year ahead."""
    now = now or utcnow()
    if ends_at <= starts_at:
        raise BookingError(_l("The end must be after the start."), "end")
    if ends_at - starts_at > timedelta(hours=MAX_HOURS):
        raise BookingError(
            _l("A booking may last at most %(hours)d hours.", hours=MAX_HOURS), "end"
        )
    today = to_local(now).date()
    if to_local(starts_at).date() < today:
        raise BookingError(_l("This day is in the past. Choose today or a later day."), "day")
    if to_local(starts_at).date() > today + timedelta(days=MAX_DAYS_AHEAD):
        raise BookingError(_l("Bookings can be made at most a year ahead."), "day")


def day_start(day):
    """Midnight in Riga at the start of the day, in UTC."""
    return datetime.combine(day, time(), tzinfo=CLUB_TZ).astimezone(UTC)


def day_range(day):
    """[start, end) of a Riga day in UTC (23, 24 or 25 hours long)."""
    return day_start(day), day_start(day + timedelta(days=1))


def week_monday(day):
    """The Monday of the day's week (weeks start on Monday)."""
    return day - timedelta(days=day.weekday())


def week_days(day):
    """The seven days, Monday to Sunday, of the day's week."""
    monday = week_monday(day)
    return [monday + timedelta(days=n) for n in range(7)]


def local_day(moment):
    """The Riga date of a stored moment."""
    return to_local(as_utc(moment)).date()


def keep_days():
    """Days a booking's personal data stays after its date (the bookings purpose's registry)."""
    return PURPOSES["bookings"].retention.record_days


def erase_after(starts_at):
    """When a booking's personal data must go: the start of the day after its kept days."""
    return day_start(local_day(starts_at) + timedelta(days=keep_days() + 1))


def clock_text(minutes):
    """Minutes after midnight as a time field and the booking pages show them (08:00; midnight
    as 00:00)."""
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
