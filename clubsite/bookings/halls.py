"""Halls (admin settings): add, rename, set capacity and site, deactivate.

Every hall belongs to a site; its name is unique within the site (two sites may each have a
"Lielā zāle"), so pages name a hall with its site. Changes are audited under the Actor passed
in (None: the system).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import Booking, Hall
from clubsite.bookings.times import parse_clock
from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.locations import Location, location_by_public_id, open_locations
from clubsite.privacy import audit
from clubsite.privacy.validation import ValidationError, clean_text

NAME_MAX = 80
CAPACITY_MAX = 10_000
SLOT_MINUTES = (15, 720)  # the shortest and longest slot offered online
DAYS_AHEAD = (1, 366)


def hall_by_public_id(public_id):
    """The hall with this public id, or None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.scalar(select(Hall).where(Hall.public_id == public_id))


def active_halls(site_ids=None):
    """Halls that can be booked (active, at an open site), by site and name.

    With site_ids, the halls of those sites only (None: every site).
    """
    query = select(Hall).join(Location).where(Hall.active, Location.active)
    if site_ids is not None:
        query = query.where(Hall.location_id.in_(site_ids))
    return db.session.scalars(query.order_by(Location.name, Hall.name)).all()


def hall_choices(site_ids=None):
    """[(public id, "hall — site")] of bookable halls, the shown sites' halls first."""
    halls = active_halls()
    if site_ids is not None:
        halls = sorted(halls, key=lambda hall: hall.location_id not in site_ids)
    return [(hall.public_id, hall.label) for hall in halls]


def all_halls():
    """Every hall, by site and name."""
    return db.session.scalars(
        select(Hall).join(Location).order_by(Location.name, Hall.active.desc(), Hall.name)
    ).all()


def locations():
    """Open sites a hall may belong to."""
    return open_locations()


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
                    hall=hall.label,
                    count=upcoming,
                )
            )
    hall.active = active
    audit.record(
        "hall.activated" if active else "hall.deactivated",
        detail=f"hall:{hall.public_id}",
        actor=as_actor(actor),
    )


def update_online(hall, raw, *, actor=None):
    """Set whether visitors may book the hall online, its daily hours, slot length, how many
    days ahead, and whether staff approve each online booking first."""
    opens = _minutes(raw.get("online_opens"), "online_opens")
    closes = _minutes(raw.get("online_closes"), "online_closes") or 1440  # 00:00: midnight
    slot = _number(raw.get("slot_minutes"), SLOT_MINUTES, "slot_minutes")
    days = _number(raw.get("days_ahead"), DAYS_AHEAD, "days_ahead")
    if closes - opens < slot:
        raise BookingError(
            _l("The hours must hold at least one slot: close later or shorten the slot."),
            "online_closes",
        )
    hall.online = bool(raw.get("online"))
    hall.online_opens, hall.online_closes = opens, closes
    hall.slot_minutes, hall.days_ahead = slot, days
    hall.needs_approval = bool(raw.get("needs_approval"))
    audit.record("hall.online_changed", detail=f"hall:{hall.public_id}", actor=as_actor(actor))
    return hall


def _minutes(text, field):
    clock = parse_clock(text, field)
    return clock.hour * 60 + clock.minute


def _number(text, bounds, field):
    text = (text or "").strip()
    low, high = bounds
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise BookingError(
            _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), field
        )
    return int(text)


def _apply(hall, raw):
    """Validate and set site, name and capacity; the name is unique within the site."""
    location = _location(raw.get("location"), hall)
    name = _clean_name(raw.get("name"))
    same = select(Hall.name).where(Hall.location_id == location.id)
    if hall.id is not None:
        same = same.where(Hall.id != hall.id)
    # Compared in Python: SQLite's lower() folds ASCII only ("LIELĀ" and "lielā" would differ).
    if any(other.casefold() == name.casefold() for other in db.session.scalars(same)):
        raise BookingError(_l("There is already a hall with this name at this site."), "name")
    hall.name = name
    hall.capacity = _clean_capacity(raw.get("capacity"))
    hall.location = location


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


def _location(public_id, hall):
    """The chosen site: an open one, or the hall's own (a hall of a closed site can be edited)."""
    location = location_by_public_id(public_id)
    if location is None or not (location.active or location.id == hall.location_id):
        raise BookingError(_l("Choose a site from the list."), "location")
    return location
