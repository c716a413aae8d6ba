"""Attendance report: check-ins by weekday and hour (a heat map per site); hall occupancy per week.

Check-ins are counted from the door's log, which keeps 30 days (clubsite.access): the heat map
always shows those days. Occupancy is the hours each hall was booked per week: times only, the
same the occupancy page shows every staff member, so it is not withheld below 5.
"""

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.access.models import CheckIn
from clubsite.bookings.models import Booking, Hall
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.reports import cells
from clubsite.reports.buckets import local_bucket, month_start_utc, next_month, seconds_between
from clubsite.reports.cells import Section
from clubsite.reports.labels import NO_SITE, WHOLE_CLUB, week_label, weekday_label

DEFAULT_HOURS = range(8, 22)  # shown even when quiet, so maps of different sites line up


def _parse_hour(key):
    """'2026-03-02 18' (a local hour) as (weekday 0..6, hour 0..23)."""
    day = date(int(key[:4]), int(key[5:7]), int(key[8:10]))
    return day.weekday(), int(key[11:13])


def check_in_counts(site_id=None):
    """{site id: {(weekday, hour): count}} of allowed check-ins in the log, by local time."""
    bucket = local_bucket(CheckIn.at, "hour")
    query = (
        select(CheckIn.location_id, bucket.expr, func.count())
        .where(CheckIn.allowed.is_(True))
        .group_by(CheckIn.location_id, bucket.expr)
    )
    if site_id is not None:
        query = query.where(CheckIn.location_id == site_id)
    counts = defaultdict(lambda: defaultdict(int))
    for location_id, key, number in db.session.execute(query).all():
        counts[location_id][_parse_hour(bucket.local(key))] += number
    return counts


def heat_maps(filters):
    """One shaded table per site: weekdays down, hours across."""
    counts = check_in_counts(filters.site.id if filters.site else None)
    names = dict(db.session.execute(select(Location.id, Location.name)).all())
    order = [filters.site.id] if filters.site else sorted(counts, key=lambda i: names.get(i, ""))
    if not order:
        order, names = [None], {None: WHOLE_CLUB}  # no check-ins yet: one empty map
    hours = set(DEFAULT_HOURS)
    for per_site in counts.values():
        hours.update(hour for _day, hour in per_site)
    hours = sorted(hours)
    sections = []
    for site_id in order:
        per_site = counts.get(site_id, {})
        sections.append(
            Section(
                key="checkins",
                title=_l("Check-ins by weekday and hour"),
                note=_l(
                    "Check-ins let in at the door in the last 30 days (the log is kept 30 days), "
                    "by the hour they began; darker means busier."
                ),
                row_heading=_l("Weekday"),
                columns=[f"{hour:02d}" for hour in hours],
                rows=[
                    (weekday_label(day), [cells.count(per_site.get((day, h), 0)) for h in hours])
                    for day in range(7)
                ],
                chart="heat",
                group=names.get(site_id, NO_SITE),
            ).shaded()
        )
    return sections


def occupancy(filters):
    """Hours booked per hall per week (by the week its booking starts in)."""
    bucket = local_bucket(Booking.starts_at, "day")
    query = (
        select(
            Booking.hall_id,
            bucket.expr,
            func.sum(seconds_between(Booking.starts_at, Booking.ends_at)),
        )
        .where(
            Booking.starts_at >= month_start_utc(filters.first),
            Booking.starts_at < month_start_utc(next_month(filters.last)),
        )
        .group_by(Booking.hall_id, bucket.expr)
    )
    halls_query = select(Hall.id, Hall.name, Location.name).outerjoin(
        Location, Location.id == Hall.location_id
    )
    if filters.site:
        query = query.join(Hall, Hall.id == Booking.hall_id).where(
            Hall.location_id == filters.site.id
        )
        halls_query = halls_query.where(Hall.location_id == filters.site.id)
    seconds = defaultdict(float)
    for hall_id, key, total in db.session.execute(query).all():
        day = date.fromisoformat(bucket.local(key))
        seconds[(day - timedelta(days=day.weekday()), hall_id)] += float(total or 0)
    halls = sorted(db.session.execute(halls_query).all(), key=lambda h: (h[2] or "", h[1]))
    several_sites = len({site for _id, _name, site in halls}) > 1
    weeks = _mondays(filters)
    return Section(
        key="occupancy",
        title=_l("Hall occupancy per week"),
        note=_l("Hours booked in each hall, by the week (from Monday) the booking is in."),
        row_heading=_l("Week from"),
        columns=[
            f"{name} ({site})" if several_sites and site else name for _i, name, site in halls
        ],
        rows=[
            (week_label(monday), [cells.hours(seconds[(monday, hall_id)]) for hall_id, *_ in halls])
            for monday in weeks
        ],
        chart="line",
    )


def _mondays(filters):
    """The Mondays of the weeks that begin within the months (and the one the range starts in)."""
    first = date.fromisoformat(filters.first + "-01")
    end = date.fromisoformat(next_month(filters.last) + "-01")
    monday = first - timedelta(days=first.weekday())
    out = []
    while monday < end:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def heat_section(filters):
    """Every site's heat map in one table (for the CSV): a row per site and weekday."""
    maps = heat_maps(filters)
    rows = [(f"{m.group} – {label}", row) for m in maps for label, row in m.rows]
    first = maps[0]
    return Section(
        key=first.key,
        title=first.title,
        note=first.note,
        row_heading=_l("Site and weekday"),
        columns=first.columns,
        rows=rows,
        chart="heat",
    )


def page(filters):
    """The page: a heat map per site, then occupancy."""
    return [*heat_maps(filters), occupancy(filters)]


SECTIONS = {"checkins": heat_section, "occupancy": occupancy}
