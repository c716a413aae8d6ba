"""Language choice and Latvian conventions for dates, times, money and phone numbers."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import has_request_context, request, session
from flask_babel import get_locale

from clubsite.database import utcnow

LANGUAGES = {"lv": "Latviešu", "en": "English"}
DEFAULT_LANGUAGE = "lv"
CLUB_TZ = ZoneInfo("Europe/Riga")


def select_locale():
    """The visitor's chosen language (cookie session), else Latvian; never guessed from headers."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # CLI and background jobs: mails choose their language explicitly
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    # Mail links carry ?lang= so a member lands in the language the mail was written in.
    from_query = request.args.get("lang")
    if from_query in LANGUAGES:
        return from_query
    return DEFAULT_LANGUAGE


def current_language():
    """The language code of the current request ("lv" or "en")."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def to_local(value):
    """A UTC datetime in the club's time zone (Europe/Riga)."""
    if value.tzinfo is None:
        from clubsite.database import as_utc

        value = as_utc(value)
    return value.astimezone(CLUB_TZ)


def format_date(value):
    """29.11.2026. in Latvian, 29.11.2026 in English."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    text = value.strftime("%d.%m.%Y")
    return text + "." if current_language() == "lv" else text


def format_time(value):
    """18:30 in the club's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%H:%M")


def format_datetime(value):
    """29.11.2026. 18:30 in the club's time zone."""
    if value is None:
        return ""
    return f"{format_date(value)} {format_time(value)}"


def format_money(cents):
    """Integer cents as 12,50 € (Latvian and English alike, as the club writes it)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    grouped = f"{euros:,}".replace(",", "\u00a0")
    return f"{sign}{grouped},{rest:02d}\u00a0€"


def today_local():
    """Today's date in Riga."""
    return to_local(utcnow()).date()


def register_i18n(app):
    """Template filters for the conventions above."""
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["today_local"] = today_local
