"""Staff deciding on online bookings that wait for approval: approve or refuse.

A pending booking holds its slot from the moment the visitor made it. Approving confirms it;
refusing deletes it with its contact, as a cancellation does. Either way the visitor, if they
gave an email address, is mailed the outcome (through the outbox, with the decision).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.bookings import online_mails, service
from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import Booking, Hall
from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.privacy import audit


def pending_bookings(site_ids=None, *, now=None):
    """Bookings not yet begun that wait for approval at the sites, soonest first."""
    query = (
        select(Booking)
        .join(Hall, Booking.hall_id == Hall.id)
        .where(Booking.status == "pending", Booking.starts_at > (now or utcnow()))
    )
    if site_ids is not None:
        query = query.where(Hall.location_id.in_(site_ids))
    return db.session.scalars(query.order_by(Booking.starts_at)).all()


def decide(user, public_id, version, *, approve, now=None):
    """Approve or refuse a pending booking (a stale form is refused); the visitor is mailed."""
    service.require_bookings(user)
    booking = service.booking_for_update(public_id)
    service.check_version(booking, version)
    if not booking.pending:
        raise BookingError(_l("This booking does not wait for approval."))
    service.check_not_over(booking, now)
    online_mails.queue_decision(booking, approve)
    audit.record(
        "booking.approved" if approve else "booking.refused",
        detail=f"booking:{booking.public_id}",
        actor=Actor.staff(user),
    )
    if approve:
        booking.status = "confirmed"
    else:
        db.session.delete(booking)
    db.session.flush()
    return booking
