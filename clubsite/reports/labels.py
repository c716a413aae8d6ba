"""How reports name months, weeks, weekdays and purposes (Latvian conventions, GLOSSARY.md)."""

from datetime import date

from flask_babel import format_date as babel_format_date
from flask_babel import lazy_gettext as _l

from clubsite.i18n import format_date
from clubsite.privacy.purposes import PURPOSES

WHOLE_CLUB = _l("Whole club")
NO_SITE = _l("No site given")


def month_label(key):
    """'2026-03' as 03.2026 (the club's month form, as on the fees pages)."""
    return f"{key[5:7]}.{key[:4]}"


def week_label(monday):
    """A week by its Monday: 09.03.2026."""
    return format_date(monday)


def weekday_label(weekday):
    """Monday (0) .. Sunday (6) in the page's language: pirmdiena .. svētdiena."""
    return babel_format_date(date(2026, 1, 5 + weekday), "EEEE")  # 5.1.2026 was a Monday


def purpose_label(purpose_id):
    """A purpose's name for people."""
    purpose = PURPOSES.get(purpose_id)
    return purpose.name if purpose else purpose_id


def site_label(site):
    """The site a report is narrowed to, or the whole club."""
    return site.name if site else WHOLE_CLUB
