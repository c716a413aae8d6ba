"""How the sections other areas add to a member's data (clubsite.privacy.subject_access) read on
"My data": each key and coded value in words, dates in the club's time zone and format, amounts
as money. The downloads keep the keys and ISO values (they are for machines, Art. 20)."""

import re
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from clubsite.fees.bank_forms import SEQUENCE_LABELS
from clubsite.fees.desk_forms import DESK_METHOD_LABELS
from clubsite.fees.forms import METHOD_LABELS, STATUS_LABELS
from clubsite.i18n import format_date, format_datetime, format_money
from clubsite.privacy.purposes import FIELDS

KEYS = {
    "allowed": _l("Let in"),
    "amount_cents": _l("Amount"),
    "at": _l("When"),
    "buyer": _l("Buyer"),
    "buyer_address": _l("Postal address"),
    "buyer_name": _l("Name"),
    "buyer_personal_code": _l("Personal code"),
    "contact_for_this_booking": _l("Contact for this booking"),
    "description": _l("Description"),
    "due_on": _l("Due date"),
    "ends_at": _l("Until"),
    "hall": _l("Hall"),
    "issued_on": _l("Date"),
    "kept_until": _l("Kept until"),
    "method": _l("Paid by"),
    "number": _l("Number"),
    "paid_on": _l("Paid on"),
    "payments": _l("Payments"),
    "period": _l("Period"),
    "plan": _l("Plan"),
    "reason": _l("Reason"),
    "reference": _l("Reference"),
    "sent_at": _l("Sent"),
    "sequence": _l("Collection"),
    "signed_on": _l("Signed on"),
    "source": _l("Given"),
    "starts_at": _l("From"),
    "starts_on": _l("Starts on"),
    "status": _l("Status"),
    "subject": _l("Subject"),
    "valid_until": _l("Valid until"),
    "visitor_name": _l("Name"),
}
OTHER_KEY = _l("Other")

CODES = {
    "status": {
        **STATUS_LABELS,
        "revoked": _l("Revoked"),
        "queued": _l("Waiting to be sent"),
        "sending": _l("Being sent"),
        "sent": _l("Sent"),
        "failed": _l("Could not be delivered"),
        "cancelled": _l("Cancelled"),
    },
    "method": {**DESK_METHOD_LABELS, **METHOD_LABELS, "direct_debit": _l("Direct debit")},
    "sequence": SEQUENCE_LABELS,
    "source": {"staff": _l("At the club"), "member": _l("On “My data”")},
    "reason": {
        "allowed": _l("Entry allowed"),
        "unknown_card": _l("Unknown card"),
        "no_membership": _l("No membership"),
        "not_started": _l("The membership had not started"),
        "expired": _l("The membership had expired"),
        "unpaid": _l("Unpaid invoice"),
        "paused": _l("The membership was paused"),
    },
}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def label(key):
    """The words for a key of an export row."""
    if key in KEYS:
        return KEYS[key]
    return FIELDS[key].label if key in FIELDS else OTHER_KEY


def _text(key, raw):
    if key in CODES:
        return str(CODES[key].get(raw, _("other")))
    if ISO_DAY.match(raw):
        if "/" in raw:  # a period, "start/end"
            return " – ".join(_text(key, part) for part in raw.split("/", 1))
        try:
            return (
                format_datetime(datetime.fromisoformat(raw))
                if "T" in raw
                else format_date(date.fromisoformat(raw))
            )
        except ValueError:
            return raw
    return raw


def value(key, raw):
    """An export row's value as a member reads it."""
    if raw is None or raw == "":
        return "—"
    if isinstance(raw, bool):
        return _("Yes") if raw else _("No")
    if key.endswith("_cents") and isinstance(raw, int):
        return format_money(raw)
    if isinstance(raw, dict):
        return "; ".join(f"{label(k)}: {value(k, v)}" for k, v in raw.items())
    if isinstance(raw, list):
        return " | ".join(value(key, item) for item in raw)
    return _text(key, str(raw))
