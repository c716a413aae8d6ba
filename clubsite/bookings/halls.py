"""Halls (admin settings): add, rename, set capacity and location, deactivate.

Changes are audited under the Actor passed in (None: the system).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import Booking, Hall
from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy import audit
from clubsite.privacy.validation import ValidationError, clean_text

NAME_MAX = 80
CAPACITY_MAX = 10_000


def hall_by_public_id(public_id):
    """The hall with this public id, or None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.scalar(select(Hall).where(Hall.public_id == public_id))


def active_halls():
    """Halls that can be booked, by name."""
    return db.session.scalars(select(Hall).where(Hall.active).order_by(Hall.name)).all()


def all_halls():
    """Every hall, active ones first, by name."""
    return db.session.scalars(select(Hall).order_by(Hall.active.desc(), Hall.name)).all()


def locations():
    """Active club locations a hall may belong to."""
    return db.session.scalars(select(Location).where(Location.active).order_by(Location.name)).all()


def add_hall(raw, *, actor=None):
    """Create a hall from the form's name, capacity and location."""
    hall = Hall()
    _apply(hall, raw)
    db.session.add(hall)
    db.session.flush()
    audit.record("hall.created", detail=f"hall:{hall.public_id}", actor=as_actor(actor))
    return hall


def update_hall(hall, raw, *, actor=None):
    """Rename a hall, or change its capacity or location."""
    _apply(hall, raw)
    audit.record("hall.changed", detail=f"hall:{hall.public_id}", actor=as_actor(actor))
    return hall


def set_hall_active(hall, active, *, actor=None, now=None):
    """Deactivate (refused while future bookings exist) or reactivate a hall."""
    if not active:
        upcoming = db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.hall_id == hall.id, Booking.ends_at > (now or utcnow())
            )
        )
        if upcoming:
            raise BookingError(
                _l(
                    "%(hall)s has %(count)d upcoming bookings. "
                    "Move or cancel them before deactivating the hall.",
                    hall=hall.name,
                    count=upcoming,
                )
            )
    hall.active = active
    audit.record(
        "hall.activated" if active else "hall.deactivated",
        detail=f"hall:{hall.public_id}",
        actor=as_actor(actor),
    )


def _apply(hall, raw):
    """Validate and set name, capacity and location."""
    name = _clean_name(raw.get("name"))
    same = select(Hall.id).where(func.lower(Hall.name) == name.lower())
    if hall.id is not None:
        same = same.where(Hall.id != hall.id)
    if db.session.scalar(same.limit(1)) is not None:
        raise BookingError(_l("There is already a hall with this name."), "name")
    hall.name = name
    hall.capacity = _clean_capacity(raw.get("capacity"))
    hall.location_id = _location_id(raw.get("location"))


def _clean_name(text):
    try:
        name = " ".join(clean_text(text or "", max_len=NAME_MAX).split())
    except ValidationError as exc:
        raise BookingError(exc.message, "name") from None
    if not name:
        raise BookingError(_l("Please fill this in."), "name")
    return name


def _clean_capacity(text):
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= CAPACITY_MAX:
        raise BookingError(
            _l(
                "Enter the number of people, from 1 to %(max)d, or leave it empty.",
                max=CAPACITY_MAX,
            ),
            "capacity",
        )
    return int(text)


def _location_id(public_id):
    if not public_id:
        return None
    location = db.session.scalar(select(Location).where(Location.public_id == public_id))
    if location is None:
        raise BookingError(_l("Choose a location from the list."), "location")
    return location.id
