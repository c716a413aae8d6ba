"""A booking's own contact data: a visitor's name and ONE phone or email, encrypted on the row.

This is the only module that decrypts booking fields. The data belongs to the one booking: it
is never copied to a member record nor offered for the next booking, and retention blanks it
30 days after the booking's date.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import CONTACT_COLUMNS
from clubsite.domain import as_actor
from clubsite.privacy import audit
from clubsite.privacy.crypto import decrypt_field, encrypt_field
from clubsite.privacy.validation import (
    ValidationError,
    format_phone,
    validate_email,
    validate_name,
    validate_phone,
)

TABLE = "booking"
FIELDS = tuple(CONTACT_COLUMNS.values())  # visitor_name, phone, email


def clean_contact(name_text, contact_text, *, visitor):
    """Validated {visitor_name, phone|email} from the form; a visitor needs a name and a contact."""
    values = {}
    name_text, contact_text = (name_text or "").strip(), (contact_text or "").strip()
    if visitor:
        if not name_text:
            raise BookingError(_l("Enter the visitor's name."), "visitor_name")
        values["visitor_name"] = _validated(validate_name, name_text, "visitor_name")
        if not contact_text:
            raise BookingError(_l("Give a phone number or an email address."), "contact")
    if contact_text:
        kind, validator = (
            ("email", validate_email) if "@" in contact_text else ("phone", validate_phone)
        )
        values[kind] = _validated(validator, contact_text, "contact")
    return values


def _validated(validator, text, field):
    try:
        return validator(text)
    except ValidationError as exc:
        raise BookingError(exc.message, field) from None


def _ring():
    return current_app.config["KEY_RING"]


def write_contact(booking, values):
    """Replace the booking's contact with the validated values (absent fields are blanked)."""
    ring = _ring()
    for attr, column in CONTACT_COLUMNS.items():
        value = values.get(column)
        blob = None
        if value:
            blob = encrypt_field(ring, value, table=TABLE, column=column, row_id=booking.public_id)
        setattr(booking, attr, blob)


def stored_fields(booking):
    """Names of the contact fields stored on the booking (nothing is decrypted)."""
    return [column for attr, column in CONTACT_COLUMNS.items() if getattr(booking, attr)]


def read_contact(booking):
    """Decrypt the booking's contact (callers audit the read)."""
    ring = _ring()
    values = {}
    for attr, column in CONTACT_COLUMNS.items():
        blob = getattr(booking, attr)
        if blob is not None:
            values[column] = decrypt_field(
                ring, blob, table=TABLE, column=column, row_id=booking.public_id
            )
    return values


def read_contact_audited(booking, *, subject=None, actor):
    """Decrypt the contact to show it to staff (the actor), and audit the field names read."""
    values = read_contact(booking)
    if values:
        audit.record(
            "booking.contact_read",
            subject=subject,
            fields=list(values),
            detail=f"booking:{booking.public_id}",
            actor=as_actor(actor),
        )
    return values


def visitor_names(bookings, *, actor):
    """{booking id: visitor name} for a list shown to the actor, audited once for the list."""
    ring = _ring()
    names = {
        b.id: decrypt_field(
            ring, b.visitor_name_enc, table=TABLE, column="visitor_name", row_id=b.public_id
        )
        for b in bookings
        if b.visitor_name_enc is not None
    }
    if names:
        audit.record(
            "booking.list",
            fields=["visitor_name"],
            detail=f"rows={len(names)}",
            actor=as_actor(actor),
        )
    return names


def display_contact(values):
    """The contact as staff read it: a phone as +371 2000 0000, or the email address."""
    if values.get("phone"):
        return format_phone(values["phone"])
    return values.get("email", "")


def erase_contact(booking):
    """Blank every contact field of the booking."""
    write_contact(booking, {})
