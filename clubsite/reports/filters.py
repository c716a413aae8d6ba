"""What a report may be narrowed by: a range of whole months, a site, a purpose. Nothing else.

No filter names a person, a day or a free text, so no choice of filters can single anyone out;
a bad value answers 400 (as every query-string value does, clubsite.web.params).
"""

from dataclasses import dataclass

from flask import abort, request
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.locations import Location
from clubsite.privacy.purposes import PURPOSES
from clubsite.reports.buckets import months_between

DEFAULT_MONTHS = 12
MAX_MONTHS = 36
FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True)
class Site:
    """A club site as a filter: its id for SQL, its public id for URLs, its name for people."""

    id: int
    public_id: str
    name: str


@dataclass(frozen=True)
class Filters:
    """The months first..last ('2026-01'), and an optional site and purpose."""

    first: str
    last: str
    site: Site | None = None
    purpose: str | None = None

    @property
    def months(self):
        """Every month key of the range."""
        return months_between(self.first, self.last)

    def args(self, **changes):
        """The query-string arguments that give these filters (for links and downloads)."""
        values = {"from": self.first, "to": self.last}
        if self.site:
            values["site"] = self.site.public_id
        if self.purpose:
            values["purpose"] = self.purpose
        values.update(changes)
        return values


def sites():
    """Every site, active ones first, by name (ids and names only)."""
    rows = db.session.execute(
        select(Location.id, Location.public_id, Location.name).order_by(
            Location.active.desc(), Location.name
        )
    ).all()
    return [Site(*row) for row in rows]


def parse_month(text):
    """'2026-03' (what <input type=month> sends) as itself, else None."""
    text = (text or "").strip()
    if len(text) != 7 or text[4] != "-" or not text.isascii():
        return None
    year, month = text[:4], text[5:]
    if not (year.isdigit() and month.isdigit()):
        return None
    if not (FIRST_YEAR <= int(year) <= LAST_YEAR and 1 <= int(month) <= 12):
        return None
    return text


def default_range(today=None):
    """The last DEFAULT_MONTHS months, this one included."""
    today = today or today_local()
    index = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}", today.strftime("%Y-%m")


def from_request(*, site=True, purpose=True):
    """The filters of the current request's query string; 400 for a value that is not one."""
    first, last = default_range()
    first = _month_arg("from", first)
    last = _month_arg("to", last)
    if first > last or len(months_between(first, last)) > MAX_MONTHS:
        abort(400)
    chosen_site = _site_arg() if site else None
    chosen_purpose = _purpose_arg() if purpose else None
    return Filters(first, last, chosen_site, chosen_purpose)


def _month_arg(name, default):
    text = request.args.get(name, "")
    if text == "":
        return default
    return parse_month(text) or abort(400)


def _site_arg():
    text = request.args.get("site", "")
    if text == "":
        return None
    found = next((s for s in sites() if s.public_id == text[:36]), None)
    return found or abort(400)


def _purpose_arg():
    text = request.args.get("purpose", "")
    if text == "":
        return None
    return text if text in PURPOSES else abort(400)
