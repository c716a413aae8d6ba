"""Query-string values, parsed within bounds: a bad value answers 400, never a 500.

A number beyond what the database stores (SQLite and PostgreSQL integers are 64-bit) raises
OverflowError deep in the driver, and a date at the edge of the calendar overflows as soon as a
day is added to it. Every value read from `request.args` goes through one of these instead.
"""

from datetime import date

from flask import abort, request

MAX_ID = 2**63 - 1
MAX_DIGITS = len(str(MAX_ID))
# Far enough for any club's records, and far from date.min/date.max (no overflow on +/- days).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def int_arg(name, *, minimum=1, maximum=MAX_ID, default=None):
    """A whole number ?name= within [minimum, maximum]; absent or empty gives the default.

    Anything else (a sign, letters, other scripts' digits, too large) answers 400 Bad Request.
    """
    text = request.args.get(name, "")
    if text == "":
        return default
    value = parse_int(text, minimum=minimum, maximum=maximum)
    if value is None:
        abort(400)
    return value


def parse_int(text, *, minimum=1, maximum=MAX_ID):
    """The number written in text (ASCII digits only) if within bounds, else None."""
    text = (text or "").strip()
    if not text or len(text) > MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_day(text):
    """A date written as 2026-11-29 (what browsers send) between 1900 and 2999, else None."""
    text = (text or "").strip()
    if len(text) != 10 or not text.isascii() or text[4] != "-" or text[7] != "-":
        return None
    year, month, day = text[:4], text[5:7], text[8:]
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        return None
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if FIRST_DAY <= value <= LAST_DAY else None


def day_arg(name, *, default=None):
    """A date ?name=YYYY-MM-DD within FIRST_DAY..LAST_DAY; absent gives the default; bad: 400."""
    text = request.args.get(name, "")
    if text == "":
        return default
    value = parse_day(text)
    if value is None:
        abort(400)
    return value
