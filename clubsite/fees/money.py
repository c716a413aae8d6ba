"""Amounts typed by staff, in the way Latvians write them: 12,50 · 12.50 · 1 234,50 €."""

import re

from flask_babel import lazy_gettext as _l

from clubsite.domain import DomainError

MAX_CENTS = 100_000_000  # one million euros: far beyond any fee, well inside an integer column
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_AMOUNT = re.compile(r"(\d{1,3}(?: \d{3})+|\d+)(?:[.,](\d{1,2}))?")


class MoneyError(DomainError):
    """A refused amount; .message is a translatable explanation."""


def parse_money(text):
    """Integer cents from a typed amount; MoneyError for empty, negative or malformed input."""
    raw = (text or "").strip()
    if not raw:
        raise MoneyError(_l("Enter an amount, for example 12,50."))
    if len(raw) > 32:
        raise MoneyError(_l("Write the amount like 12,50 or 1 234,50."))
    cleaned = _SPACES.sub(" ", raw.replace("€", "").replace("EUR", "")).strip()
    if cleaned.startswith("-") or cleaned.startswith("\u2212"):
        raise MoneyError(_l("The amount cannot be negative."))
    match = _AMOUNT.fullmatch(cleaned)
    if not match:
        raise MoneyError(_l("Write the amount like 12,50 or 1 234,50."))
    euros = int(match.group(1).replace(" ", ""))
    cents = int((match.group(2) or "0").ljust(2, "0"))
    total = euros * 100 + cents
    if total == 0:
        raise MoneyError(_l("The amount must be more than zero."))
    if total > MAX_CENTS:
        raise MoneyError(_l("This amount is too large."))
    return total


def cents_to_text(cents):
    """Cents as an editable amount, e.g. 1234,50 (no currency sign, no grouping)."""
    euros, rest = divmod(int(cents), 100)
    return f"{euros},{rest:02d}"
