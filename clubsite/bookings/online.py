"""Online booking: a visitor booking and cancelling a slot of a hall open online.

A visitor books one free slot with a name and one phone or email (the bookings purpose needs
nothing else); the booking takes the slot under the same hall lock and overlap rule as a staff
booking, so of two visitors racing for one slot one wins and the other is told. The cancel
link's secret is returned once (for the mail and the confirmation page) and only its SHA-256 is
stored. Functions change the session only; the unit of work commits. What the public page
shows: clubsite.bookings.week.
"""

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.bookings import contact, service
from clubsite.bookings.errors import BookingError
from clubsite.bookings.halls import hall_by_public_id
from clubsite.bookings.models import ONLINE, Booking
from clubsite.bookings.times import parse_clock, parse_day
from clubsite.bookings.week import last_bookable_day, slot_times
from clubsite.database import as_utc, new_public_id, utcnow
from clubsite.domain import Actor, NotFound
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ, to_local
from clubsite.privacy import audit
from clubsite.security import token_hash

VISITOR = Actor("visitor")
MAX_TOKEN_LENGTH = 100
MSG_TAKEN = _l("Someone has just booked this time. Please choose another time.")
MSG_NOT_OFFERED = _l("This time cannot be booked online. Please choose a time from the list.")


class SlotTaken(BookingError):
    """Another booking took the slot first (a visitor racing another, or reception)."""

    status = 409


def online_hall(public_id):
    """The hall with this public id if visitors may book it online (NotFound otherwise)."""
    hall = hall_by_public_id(public_id)
    if hall is None or not (hall.online and hall.bookable):
        raise NotFound()
    return hall


def offered_slot(hall, day_text, start_text, *, now=None):
    """(starts_at, ends_at) in UTC of the hall's slot that starts at the typed day and time,
    if it is one the hall offers online and it has not begun (BookingError otherwise)."""
    now = now or utcnow()
    try:
        day, clock = parse_day(day_text), parse_clock(start_text, "start")
    except BookingError:
        raise BookingError(MSG_NOT_OFFERED) from None
    if day < to_local(now).date() or day > last_bookable_day(hall, now):
        raise BookingError(MSG_NOT_OFFERED)
    wanted = datetime.combine(day, clock, CLUB_TZ)
    for starts_at, ends_at in slot_times(hall, day):
        if to_local(starts_at) == wanted and starts_at > now:
            return starts_at, ends_at
    raise BookingError(MSG_NOT_OFFERED)


def book_online(hall_public_id, raw, *, language, now=None):
    """Book a free slot for a visitor: (booking, cancel link secret).

    raw holds day, start, visitor_name and contact (a phone or an email). The slot is taken
    under the hall's lock, as a staff booking is; a hall whose bookings staff approve gets a
    pending booking, which holds the slot until staff decide.
    """
    hall = online_hall(hall_public_id)
    starts_at, ends_at = offered_slot(hall, raw.get("day"), raw.get("start"), now=now)
    values = contact.clean_contact(raw.get("visitor_name"), raw.get("contact"), visitor=True)
    service.lock_hall(hall)
    if service.first_clash(hall, starts_at, ends_at) is not None:
        raise SlotTaken(MSG_TAKEN)
    secret = secrets.token_urlsafe(32)
    booking = Booking(
        public_id=new_public_id(),
        hall=hall,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=ONLINE,
        status="pending" if hall.needs_approval else "confirmed",
        cancel_token_hash=token_hash(secret),
        language=language,
    )
    contact.write_contact(booking, values)
    db.session.add(booking)
    db.session.flush()
    audit.record(
        "booking.created_online",
        fields=list(values),
        detail=f"booking:{booking.public_id}",
        actor=VISITOR,
    )
    return booking, secret


def booking_for_secret(secret, *, for_update=False):
    """The booking a cancel link opens, or None (a tampered, cancelled or anonymised link)."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    query = select(Booking).where(Booking.cancel_token_hash == token_hash(secret))
    if for_update:
        query = query.with_for_update(of=Booking)
    return db.session.scalar(query)


def cancellable(booking, *, now=None):
    """True if the visitor may still cancel the booking: it has not begun."""
    return as_utc(booking.starts_at) > (now or utcnow())


def cancel_online(secret, *, now=None):
    """Cancel the booking of a cancel link (the row and its contact are deleted); returns what
    the page shows afterwards: (hall label, starts_at, ends_at)."""
    booking = booking_for_secret(secret, for_update=True)
    if booking is None:
        raise NotFound()
    if not cancellable(booking, now=now):
        raise BookingError(_l("This booking has already begun and can no longer be cancelled."))
    shown = (booking.hall.label, to_local(booking.starts_at), to_local(booking.ends_at))
    audit.record(
        "booking.cancelled_online",
        fields=contact.stored_fields(booking),
        detail=f"booking:{booking.public_id}",
        actor=VISITOR,
    )
    db.session.delete(booking)
    db.session.flush()
    return shown
