"""Month, week, day and hour buckets in the club's time zone, as SQL for each database.

PostgreSQL converts a timestamp to Europe/Riga itself (`timezone('Europe/Riga', at)`). SQLite has
no time zones: it stores the UTC wall time as text. Riga is 2 or 3 hours ahead of UTC, so only a
moment in the last hours of a UTC day (or month) can belong to the next local one; those few are
grouped by their UTC hour and placed in Python, the rest by their UTC day (or month) as they are.
Either way the database returns one row per bucket, never one per member, and `Bucket.local`
turns each key into the local day, month or hour it stands for.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, func, select

from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ

UNITS = ("month", "day", "hour")
PG_FORMATS = {"month": "YYYY-MM", "day": "YYYY-MM-DD", "hour": "YYYY-MM-DD HH24"}
SQLITE_FORMATS = {"month": "%Y-%m", "day": "%Y-%m-%d", "hour": "%Y-%m-%d %H"}
SQLITE_LENGTHS = {"month": 7, "day": 10, "hour": 13}
HOUR_KEY = "%Y-%m-%d %H"


def _largest_offset_hours():
    """How far ahead of UTC the club's clock runs at most (Riga: 3 hours in summer)."""
    offsets = {CLUB_TZ.utcoffset(datetime(2026, month, 1)) for month in range(1, 13)}
    largest = max(offsets)
    # The SQLite branch assumes a zone ahead of UTC by whole hours, as all of Europe is.
    assert timedelta(0) <= largest < timedelta(hours=12), "zone not supported"
    assert all(offset.seconds % 3600 == 0 for offset in offsets), "zone not supported"
    return largest.seconds // 3600


FIRST_UNSURE_HOUR = f"{24 - _largest_offset_hours():02d}"


def dialect():
    """The name of the database the session talks to ("sqlite" or "postgresql")."""
    return db.session.get_bind().dialect.name


@dataclass(frozen=True)
class Bucket:
    """A SQL expression to GROUP BY, and how to read its keys as local buckets."""

    expr: object
    unit: str
    exact: bool  # True when the database already returned local keys

    def local(self, key):
        """The local bucket ('2026-03', '2026-03-01' or '2026-03-01 18') a key stands for."""
        if self.exact or len(key) != 13:  # 13 characters: a UTC hour, placed here
            return key
        moment = datetime.strptime(key.replace("T", " "), HOUR_KEY)
        moment = moment.replace(tzinfo=UTC).astimezone(CLUB_TZ)
        return moment.strftime(SQLITE_FORMATS[self.unit])


def local_bucket(column, unit):
    """The Bucket of a timestamp column (stored in UTC) by local month, day or hour."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    if dialect() == "postgresql":
        local = func.timezone(CLUB_TZ.key, column)
        return Bucket(func.to_char(local, PG_FORMATS[unit]), unit, True)
    # SQLite keeps the UTC time as ISO text ('2026-03-01 21:30:00.000000'): its leading
    # characters are the month, day and hour, cheaper to cut than to parse with strftime.
    utc_hour = func.substr(column, 1, 13)
    if unit == "hour":
        return Bucket(utc_hour, unit, False)
    late = func.substr(column, 12, 2) >= FIRST_UNSURE_HOUR
    if unit == "month":  # late on the month's last day (the next day is the 1st)
        late = and_(late, func.strftime("%d", column, "+1 day") == "01")
    expr = case((late, utc_hour), else_=func.substr(column, 1, SQLITE_LENGTHS[unit]))
    return Bucket(expr, unit, False)


def counts_per_month(column, months, cases, *where):
    """{(month, case key): count} of rows whose timestamp `column` (UTC) falls in each local
    month, for each case (key -> list of conditions), in one statement.

    Each count is its own scalar subquery over the local month's exact UTC bounds, so it is an
    index range count (an index that starts with the cases' equality columns and then `column`)
    with no GROUP BY to sort, the same on both databases; rows whose month is known come back
    as one row of counts, never one row per member.
    """
    keys, counts = [], []
    for case_key, conditions in cases.items():
        for month in months:
            start, end = month_start_utc(month), month_start_utc(next_month(month))
            count = select(func.count()).where(*conditions, *where, column >= start, column < end)
            keys.append((month, case_key))
            counts.append(count.scalar_subquery())
    if not counts:
        return {}
    return dict(zip(keys, db.session.execute(select(*counts)).one(), strict=True))


def month_of(day):
    """The month key ('2026-03') of a date the database returned (a date, or ISO text)."""
    return day.strftime("%Y-%m") if hasattr(day, "strftime") else str(day)[:7]


def seconds_between(start, end):
    """SQL for the seconds from one timestamp column to another."""
    if dialect() == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400


def months_between(first, last):
    """Every month key from first to last ('2026-01', '2026-02', ...), both included."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_start_utc(key):
    """The moment (UTC) a local month '2026-03' begins: for WHERE clauses on timestamps."""
    local = datetime(int(key[:4]), int(key[5:7]), 1, tzinfo=CLUB_TZ)
    return local.astimezone(UTC)


def month_first_day(key):
    """The first day of a month key, as a date (for WHERE clauses on DATE columns)."""
    return date(int(key[:4]), int(key[5:7]), 1)


def next_month(key):
    """The month key after this one."""
    year, month = int(key[:4]), int(key[5:7])
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
