"""The bookings purpose's part in retention, erasure and subject access.

Decision: 30 days after a booking's date its personal data goes (the visitor's name and
contact, any contact given by a member, and the link to the member); the hall and times stay
as anonymous occupancy, which identifies no one and keeps the week views and statistics true.
The same happens at the next retention run when a member ends the bookings purpose early, and
at once when a member is erased. Cancelling deletes the booking row with its contact.
"""

from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update

from clubsite.bookings import contact
from clubsite.bookings.models import CONTACT_COLUMNS, Booking
from clubsite.bookings.times import day_start, keep_days, local_day
from clubsite.database import as_utc
from clubsite.domain import SYSTEM
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy.models import MemberPurpose
from clubsite.privacy.retention import erasure_hook, retention_task
from clubsite.privacy.subject_access import subject_access_section

# An online booking's cancel link stops working with its contact (nothing is left to cancel).
_BLANK = {
    "member_id": None,
    "cancel_token_hash": None,
    "language": None,
    **{attr: None for attr in CONTACT_COLUMNS},
}


def _has_personal_data():
    return or_(
        Booking.member_id.is_not(None),
        *(getattr(Booking, attr).is_not(None) for attr in CONTACT_COLUMNS),
    )


def retention_cutoff(now):
    """Bookings that started before this moment are past their kept days (the registry's 30;
    Riga dates)."""
    return day_start(local_day(now) - timedelta(days=keep_days()))


@retention_task("bookings")
def anonymise_old_bookings(now, dry_run):
    """Blank the personal data of bookings past their kept days, or whose member left the
    purpose."""
    enrolled = select(MemberPurpose.member_id).where(MemberPurpose.purpose == "bookings")
    condition = or_(
        and_(Booking.starts_at < retention_cutoff(now), _has_personal_data()),
        # The member ended the bookings purpose (on request): their bookings go anonymous too.
        and_(Booking.member_id.is_not(None), Booking.member_id.not_in(enrolled)),
    )
    count = db.session.scalar(select(func.count(Booking.id)).where(condition))
    if count and not dry_run:
        db.session.execute(
            update(Booking)
            .where(condition)
            .values(**_BLANK, anonymised_at=now)
            .execution_options(synchronize_session="fetch")
        )
        audit.record("booking.anonymised", actor=SYSTEM, detail=f"rows={count}")
    return count


@retention_task("bookings_undecided")
def drop_undecided_bookings(now, dry_run):
    """Online bookings still waiting for approval when their time began were never confirmed:
    they go with their contact, as a refused one does, and free no one's slot by then."""
    condition = and_(Booking.status == "pending", Booking.starts_at <= now)
    count = db.session.scalar(select(func.count(Booking.id)).where(condition))
    if count and not dry_run:
        db.session.execute(delete(Booking).where(condition))
        audit.record("booking.undecided_dropped", actor=SYSTEM, detail=f"rows={count}")
    return count


@erasure_hook
def unlink_erased_member(member_ids):
    """Erased members' bookings keep their times for occupancy, and nothing personal."""
    db.session.execute(
        update(Booking)
        .where(Booking.member_id.in_(member_ids))
        .values(**_BLANK)
        .execution_options(synchronize_session="fetch")
    )


@subject_access_section("bookings")
def member_bookings(member):
    """The member's hall bookings: hall, times and any contact given for a booking."""
    bookings = db.session.scalars(
        select(Booking).where(Booking.member_id == member.id).order_by(Booking.starts_at)
    ).all()
    return [
        {
            "hall": booking.hall.label,
            "starts_at": as_utc(booking.starts_at).isoformat(),
            "ends_at": as_utc(booking.ends_at).isoformat(),
            "contact_for_this_booking": contact.read_contact(booking),
        }
        for booking in bookings
    ]
