"""Booking a hall for a member or a visitor, changing and cancelling bookings.

Functions change the session only; the unit of work commits once. Overlaps are checked under a
lock on the hall row (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write step of the unit of
work begins IMMEDIATE, so writers already queue), so two concurrent requests cannot both take
the same time. What a staff member does is audited under their Actor.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.bookings import contact
from clubsite.bookings.errors import BookingError, StaleBooking
from clubsite.bookings.halls import hall_by_public_id
from clubsite.bookings.models import Booking, Hall
from clubsite.bookings.times import check_limits, erase_after, parse_times, weekly_times
from clubsite.database import as_utc, new_public_id, utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.i18n import format_date, format_time
from clubsite.members import service as members
from clubsite.members.search import search_members
from clubsite.privacy import access, audit
from clubsite.privacy.policy import policy_current

SEARCH_LIMIT = 10


def require_bookings(user):
    """Refuse anyone without the bookings permission and a current data-protection training."""
    if not user.can("bookings") or not policy_current(user):
        raise access.AccessDenied("bookings")


def find_members(user, query):
    """[(public id, name)] of members matching a card number or name, for the booking form."""
    require_bookings(user)
    kind, found = search_members(user, query, limit=SEARCH_LIMIT)
    audit.record("member.search", detail=f"kind={kind}", actor=Actor.staff(user))
    return [(view.member.public_id, view.name) for view in access.read_names(user, found)]


def member_for_booking(user, public_id):
    """The member chosen on the form, if the staff member may see them."""
    member = members.member_by_public_id(public_id)
    if member is None or not access.may(user, "view", member):
        raise BookingError(_l("Find the member and choose them from the list."), "member")
    return member


def chosen_member(user, public_id):
    """(public id, name) of the member chosen on the form, to show the choice again."""
    try:
        member = member_for_booking(user, public_id)
    except BookingError:
        return None
    return member.public_id, access.read_names(user, [member])[0].name


def book(user, raw, *, now=None):
    """Book a hall from the form's typed values: hall, day, start, end, who, member or visitor.

    With repeat_until, the same times every week until that date (a series, all or nothing):
    returns the first booking.
    """
    require_bookings(user)
    hall = _bookable_hall(raw.get("hall"))
    times = weekly_times(raw.get("day"), raw.get("start"), raw.get("end"), raw.get("repeat_until"))
    for starts_at, ends_at in (times[0], times[-1]):
        check_limits(starts_at, ends_at, now=now)
    who = raw.get("who")
    if who not in ("member", "visitor"):
        raise BookingError(_l("Choose a member or a visitor."), "who")
    member = member_for_booking(user, raw.get("member")) if who == "member" else None
    values = contact.clean_contact(
        raw.get("visitor_name"), raw.get("contact"), visitor=who == "visitor"
    )
    for starts_at, ends_at in times:
        _lock_and_check_free(hall, starts_at, ends_at)
    series_id = new_public_id() if len(times) > 1 else None
    bookings = [
        _new_booking(user, hall, member, values, starts_at, ends_at, series_id)
        for starts_at, ends_at in times
    ]
    db.session.flush()
    if member is not None:
        _enrol_in_bookings(user, member)
    for booking in bookings:
        audit.record(
            "booking.created",
            subject=member.public_id if member else None,
            fields=list(values),
            detail=f"booking:{booking.public_id}",
            actor=Actor.staff(user),
        )
    return bookings[0]


def _new_booking(user, hall, member, values, starts_at, ends_at, series_id):
    """A confirmed staff booking with its own encrypted copy of the contact."""
    booking = Booking(
        public_id=new_public_id(),
        hall=hall,
        starts_at=starts_at,
        ends_at=ends_at,
        member=member,
        created_by=user.public_id,
        series_id=series_id,
    )
    contact.write_contact(booking, values)
    db.session.add(booking)
    return booking


def change_booking(user, public_id, raw, *, now=None):
    """Move a booking (hall, day, times) and correct its contact; refuses a stale form."""
    require_bookings(user)
    booking = booking_for_update(public_id)
    check_version(booking, raw.get("version"))
    check_not_over(booking, now)
    hall = _bookable_hall(raw.get("hall"))
    starts_at, ends_at = parse_times(raw.get("day"), raw.get("start"), raw.get("end"))
    check_limits(starts_at, ends_at, now=now)
    visitor = booking.visitor_name_enc is not None
    values = contact.clean_contact(raw.get("visitor_name"), raw.get("contact"), visitor=visitor)
    _lock_and_check_free(hall, starts_at, ends_at, exclude=booking)
    old = contact.read_contact(booking)
    changed = sorted(k for k in set(old) | set(values) if old.get(k) != values.get(k))
    times_changed = (booking.hall_id, as_utc(booking.starts_at), as_utc(booking.ends_at)) != (
        hall.id,
        starts_at,
        ends_at,
    )
    booking.hall, booking.starts_at, booking.ends_at = hall, starts_at, ends_at
    contact.write_contact(booking, values)
    db.session.flush()
    if booking.member is not None:
        refresh_member_retention(booking.member)
    audit.record(
        "booking.changed",
        subject=booking.member.public_id if booking.member else None,
        fields=changed + (["times"] if times_changed else []),
        detail=f"booking:{booking.public_id}",
        actor=Actor.staff(user),
    )
    return booking


def cancel_booking(user, public_id, version, *, now=None):
    """Cancel a booking that is not over yet: the row and its contact data are deleted."""
    require_bookings(user)
    booking = booking_for_update(public_id)
    check_version(booking, version)
    check_not_over(booking, now)
    member = booking.member
    audit.record(
        "booking.cancelled",
        subject=member.public_id if member else None,
        fields=contact.stored_fields(booking),
        detail=f"booking:{booking.public_id}",
        actor=Actor.staff(user),
    )
    db.session.delete(booking)
    db.session.flush()
    if member is not None:
        refresh_member_retention(member)
    return booking


def booking_by_public_id(public_id):
    """The booking with this public id, or None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.scalar(select(Booking).where(Booking.public_id == public_id))


def booking_for_update(public_id):
    """The booking with this public id, its row locked until commit (BookingError if gone)."""
    booking = None
    if public_id and len(public_id) <= 36:
        booking = db.session.scalar(
            select(Booking).where(Booking.public_id == public_id).with_for_update(of=Booking)
        )
    if booking is None:
        raise BookingError(_l("This booking no longer exists: it may have been cancelled."))
    return booking


def refresh_member_retention(member):
    """Keep the member's bookings data until 30 days after their latest booking's date."""
    enrolment = member.purpose("bookings")
    if enrolment is None:
        return
    latest_start, latest_end = db.session.execute(
        select(func.max(Booking.starts_at), func.max(Booking.ends_at)).where(
            Booking.member_id == member.id
        )
    ).one()
    if latest_start is None:
        # Nothing booked any more: keep the data 30 days from today, like a booking made today.
        enrolment.ends_at, enrolment.keep_until = utcnow(), erase_after(utcnow())
    else:
        enrolment.ends_at = as_utc(latest_end)
        enrolment.keep_until = erase_after(as_utc(latest_start))


def _enrol_in_bookings(user, member):
    """Enrol the member in the bookings purpose with the name the booking uses."""
    if member.purpose("bookings") is None:
        names = access.read_names(user, [member])[0].values
        members.add_purpose(
            member,
            "bookings",
            names,
            basis="contract",
            source="staff",
            actor=Actor.staff(user),
        )
    refresh_member_retention(member)


def _bookable_hall(public_id):
    hall = hall_by_public_id(public_id)
    if hall is None or not hall.bookable:
        raise BookingError(_l("Choose a hall from the list."), "hall")
    return hall


def lock_hall(hall):
    """Lock the hall row until commit: every booking of the hall is checked and written under it."""
    db.session.execute(select(Hall.id).where(Hall.id == hall.id).with_for_update())


def first_clash(hall, starts_at, ends_at, exclude=None):
    """The earliest booking of the hall overlapping the times (pending ones too), or None."""
    query = select(Booking).where(
        Booking.hall_id == hall.id, Booking.starts_at < ends_at, Booking.ends_at > starts_at
    )
    if exclude is not None:
        query = query.where(Booking.id != exclude.id)
    return db.session.scalars(query.order_by(Booking.starts_at).limit(1)).first()


def _lock_and_check_free(hall, starts_at, ends_at, exclude=None):
    """Lock the hall row, then refuse if any booking of the hall overlaps the times."""
    lock_hall(hall)
    clash = first_clash(hall, starts_at, ends_at, exclude)
    if clash is not None:
        raise BookingError(
            _l(
                "%(hall)s is already booked on %(day)s from %(start)s to %(end)s. "
                "Choose another time or another hall.",
                hall=hall.label,
                day=format_date(as_utc(clash.starts_at)),
                start=format_time(as_utc(clash.starts_at)),
                end=format_time(as_utc(clash.ends_at)),
            ),
            "start",
        )


def check_version(booking, version):
    """Refuse a form made from another version of the booking (StaleBooking)."""
    if str(booking.version) != str(version or ""):
        raise StaleBooking(
            _l(
                "Someone else changed this booking meanwhile. "
                "The current details are shown; please check them and try again."
            )
        )


def check_not_over(booking, now):
    """Refuse to change a booking that is over."""
    if as_utc(booking.ends_at) <= (now or utcnow()):
        raise BookingError(_l("This booking is over and can no longer be changed."))
