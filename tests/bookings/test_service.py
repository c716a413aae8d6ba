"""Booking rules without HTTP: overlaps, limits, times across midnight, members' retention."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clubsite.bookings import halls, schedule, service
from clubsite.bookings.errors import BookingError, StaleBooking
from clubsite.bookings.models import Booking
from clubsite.bookings.times import day_start, parse_times
from clubsite.database import as_utc
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.privacy.audit import AuditEvent
from tests.bookings.conftest import DAY, NOW, VISITOR, book


def _count():
    return db.session.scalar(select(func.count(Booking.id)))


def test_times_are_riga_wall_clock_stored_in_utc(app):
    """18:00 in Riga in winter is 16:00 UTC; in summer 15:00 UTC."""
    starts, ends = parse_times("2030-01-15", "18:00", "19:30")
    assert (starts.hour, ends.hour, ends.minute) == (16, 17, 30)
    summer, _ = parse_times("15.07.2030", "18:00", "19:00")
    assert summer.hour == 15


def test_end_before_start_over_midnight_is_the_next_day(app):
    """23:30–00:30 is an hour that ends the next day."""
    starts, ends = parse_times("2030-01-15", "23:30", "00:30")
    assert ends - starts == timedelta(hours=1)
    assert ends.astimezone(CLUB_TZ).date() == date(2030, 1, 16)


@pytest.mark.parametrize(
    ("day", "start", "end", "field", "message"),
    [
        ("2030-01-15", "18:00", "17:00", "end", "The end must be after the start."),
        ("2030-01-15", "18:00", "18:00", "end", "The end must be after the start."),
        ("2030-01-15", "7:00", "20:00", "end", "A booking may last at most 12 hours."),
        ("2030-01-15", "25:00", "26:00", "start", "Enter a time like 18:30."),
        ("2030-01-15", "18:00", "half past", "end", "Enter a time like 18:30."),
        ("15/01/2030", "18:00", "19:00", "day", "Enter a date like 29.11.2026."),
        ("2030-02-30", "18:00", "19:00", "day", "Enter a date like 29.11.2026."),
        ("2030-01-13", "18:00", "19:00", "day", "This day is in the past."),
        ("2031-03-01", "18:00", "19:00", "day", "at most a year ahead"),
        ("2030-03-31", "03:30", "05:00", "start", "clocks move forward"),
    ],
)
def test_bad_times_are_refused_with_a_clear_message(
    app, hall, reception, day, start, end, field, message
):
    """Each kind of bad time names its field and says what is wrong; nothing is stored."""
    with pytest.raises(BookingError) as refused:
        book(reception, hall, day, start, end)
    assert refused.value.field == field
    assert message in str(refused.value.message)
    db.session.rollback()
    assert _count() == 0


def test_today_is_allowed_even_earlier_in_the_day(app, hall, reception):
    """A walk-in booked late for the morning is still today, not the past."""
    booking = book(reception, hall, "2030-01-14", "08:00", "09:00")
    assert booking.id is not None


def test_overlapping_booking_in_the_same_hall_is_refused(app, hall, small_hall, reception):
    """Any overlap in one hall is refused with the busy times; other halls and touching times are
    fine."""
    book(reception, hall, DAY, "18:00", "19:30")
    for start, end in [
        ("19:00", "20:00"),
        ("17:00", "18:30"),
        ("18:15", "18:45"),
        ("17:00", "21:00"),
    ]:
        with pytest.raises(BookingError) as refused:
            book(reception, hall, DAY, start, end)
        db.session.rollback()
        assert refused.value.field == "start"
        assert "already booked" in str(refused.value.message)
        assert "18:00" in str(refused.value.message) and "19:30" in str(refused.value.message)
    book(reception, hall, DAY, "19:30", "20:30")  # starts when the other ends
    book(reception, small_hall, DAY, "18:00", "19:30")
    assert _count() == 3


def test_overlap_across_midnight(app, hall, reception):
    """A booking over midnight blocks the early hours of the next day."""
    book(reception, hall, DAY, "23:00", "01:00")
    with pytest.raises(BookingError):
        book(reception, hall, DAY + timedelta(days=1), "00:30", "02:00")


def test_unknown_or_deactivated_hall_is_refused(app, hall, reception):
    """Only active halls can be booked."""
    raw = {
        "hall": "00000000-0000-4000-8000-000000000000",
        "day": "2030-01-15",
        "start": "18:00",
        "end": "19:00",
        "who": "visitor",
        "visitor_name": VISITOR,
        "contact": "a@b.lv",
    }
    with pytest.raises(BookingError) as refused:
        service.book(reception, raw, now=NOW)
    assert refused.value.field == "hall"
    halls.set_hall_active(hall, False)
    with pytest.raises(BookingError):
        book(reception, hall, DAY, "18:00", "19:00")


@pytest.mark.parametrize(
    ("name", "contact", "field"),
    [
        ("", "+371 2000 0001", "visitor_name"),
        (VISITOR, "", "contact"),
        (VISITOR, "not a phone", "contact"),
        (VISITOR, "x@", "contact"),
        ("R2D2", "a@b.lv", "visitor_name"),
    ],
)
def test_a_visitor_needs_a_name_and_one_valid_contact(app, hall, reception, name, contact, field):
    """Name plus phone or email, validated like everywhere else."""
    with pytest.raises(BookingError) as refused:
        book(reception, hall, DAY, "18:00", "19:00", name=name, contact=contact)
    assert refused.value.field == field


def test_a_visitor_contact_is_stored_encrypted_on_the_booking(app, hall, reception):
    """Name and phone are ciphertext bound to the booking; no plain value in the row."""
    from clubsite.bookings import contact

    booking = book(reception, hall, DAY, "18:00", "19:00", contact="+371 2612 3456")
    assert contact.read_contact(booking) == {"visitor_name": VISITOR, "phone": "+37126123456"}
    assert b"2612" not in booking.phone_enc and booking.email_enc is None
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.created")
    ).one()
    assert event.fields == "phone,visitor_name" and "2612" not in event.detail


def test_member_booking_enrols_in_bookings_and_keeps_until_30_days_after(
    app, hall, reception, member
):
    """The bookings purpose is added with the names; keep_until follows the latest booking."""
    first = book(reception, hall, DAY, "18:00", "19:00", member=member, contact="")
    enrolment = member.purpose("bookings")
    assert enrolment is not None and enrolment.field_list == ["first_name", "last_name"]
    assert as_utc(enrolment.keep_until) == day_start(DAY + timedelta(days=31))
    later = book(
        reception, hall, DAY + timedelta(days=10), "18:00", "19:00", member=member, contact=""
    )
    db.session.refresh(enrolment)
    assert as_utc(enrolment.keep_until) == day_start(DAY + timedelta(days=41))
    service.cancel_booking(reception, later.public_id, later.version, now=NOW)
    db.session.commit()
    db.session.refresh(enrolment)
    assert as_utc(enrolment.keep_until) == day_start(DAY + timedelta(days=31))
    assert first.member_id == member.id


def test_a_phone_given_for_a_member_booking_stays_on_that_booking(app, hall, reception, member):
    """Not written to the member, not offered again: it belongs to the one booking."""
    booking = book(reception, hall, DAY, "18:00", "19:00", member=member, contact="+371 2612 3456")
    db.session.refresh(member)
    assert not member.has_field("phone")
    assert booking.phone_enc is not None
    assert "phone" not in member.purpose("bookings").field_list


def test_day_list_across_midnight_in_riga(app, hall, small_hall, reception):
    """23:30–00:30 shows on both days; 00:30 Riga belongs to its Riga day, not the UTC one."""
    late = book(reception, hall, DAY, "23:30", "00:30")
    early = book(
        reception, small_hall, DAY + timedelta(days=1), "00:30", "01:30", name="Agra Zvaigzne"
    )
    assert as_utc(early.starts_at).date() == DAY  # 22:30 UTC the evening before
    on_day = [r.booking.id for r in schedule.day_rows(reception, DAY)]
    next_day = [r.booking.id for r in schedule.day_rows(reception, DAY + timedelta(days=1))]
    assert on_day == [late.id]
    assert next_day == [late.id, early.id]
    # Ten past midnight in Riga is still the previous day in UTC, but "today" is the Riga day.
    just_after_midnight = day_start(DAY + timedelta(days=1)) + timedelta(minutes=10)
    today = schedule.today_rows(reception, now=just_after_midnight)
    assert [r.booking.id for r in today] == [late.id, early.id]
    assert [r.name for r in today] == [VISITOR, "Agra Zvaigzne"]


def test_occupancy_has_times_and_no_names(app, hall, reception, member):
    """The occupancy structures carry hall names (with their site) and times only."""
    book(reception, hall, DAY, "18:00", "19:00", member=member, contact="")
    slots = schedule.occupancy_day(DAY)
    assert list(slots) == ["Lielā zāle — Centrs"]
    assert [(s.starts_at.hour, s.ends_at.hour) for s in slots["Lielā zāle — Centrs"]] == [(18, 19)]
    assert set(vars(slots["Lielā zāle — Centrs"][0])) == {"hall", "starts_at", "ends_at"}


def test_change_moves_a_booking_and_a_stale_form_is_refused(app, hall, reception):
    """The version on the form must be the current one; a refused change changes nothing."""
    booking = book(reception, hall, DAY, "18:00", "19:00")
    raw = {
        "hall": hall.public_id,
        "day": "2030-01-16",
        "start": "10:00",
        "end": "11:00",
        "visitor_name": VISITOR,
        "contact": "+371 2000 0001",
        "version": str(booking.version),
    }
    service.change_booking(reception, booking.public_id, raw, now=NOW)
    db.session.commit()
    assert as_utc(booking.starts_at).astimezone(CLUB_TZ).day == 16
    with pytest.raises(StaleBooking):
        service.change_booking(reception, booking.public_id, {**raw, "start": "12:00"}, now=NOW)
    db.session.rollback()
    db.session.refresh(booking)
    assert as_utc(booking.starts_at).astimezone(CLUB_TZ).hour == 10


def test_only_reception_and_admin_may_book(app, hall, make_staff):
    """The data layer refuses, not only the route guard."""
    from clubsite.privacy.access import AccessDenied

    for role in ("staff", "accountant", "marketing"):
        with pytest.raises(AccessDenied):
            book(make_staff(role), hall, DAY, "18:00", "19:00")
    with pytest.raises(AccessDenied):
        book(make_staff("reception", trained=False), hall, DAY, "18:00", "19:00")
