"""Retention, erasure and subject access for bookings."""

from datetime import timedelta

from sqlalchemy import select

from clubsite.bookings import contact
from clubsite.bookings.models import Booking
from clubsite.bookings.times import day_start
from clubsite.extensions import db
from clubsite.members import service as members
from clubsite.privacy import subject_access
from clubsite.privacy.models import ErasureJournal
from clubsite.privacy.retention import run_retention
from tests.bookings.conftest import DAY, NOW, book
from tests.privacy.factories import enrol

ERASE_AT = day_start(DAY + timedelta(days=31))  # day 31 after the booking's date, Riga midnight


def test_visitor_contact_is_erased_30_days_after_the_booking(app, hall, reception):
    """The contact stays through day 30; from day 31 only the anonymous times remain."""
    booking = book(reception, hall, DAY, "18:00", "19:30", contact="ilze@example.lv")
    public_id, starts = booking.public_id, booking.starts_at
    report = run_retention(now=ERASE_AT - timedelta(minutes=1))
    assert report.tasks["bookings"] == 0
    kept = db.session.scalar(select(Booking).where(Booking.public_id == public_id))
    assert contact.read_contact(kept)["email"] == "ilze@example.lv"

    report = run_retention(now=ERASE_AT + timedelta(minutes=1))
    assert report.tasks["bookings"] == 1
    db.session.expire_all()
    left = db.session.scalar(select(Booking).where(Booking.public_id == public_id))
    assert left is not None and not left.has_contact and left.anonymised_at is not None
    assert left.starts_at == starts
    assert run_retention(now=ERASE_AT + timedelta(days=1)).tasks["bookings"] == 0


def test_dry_run_counts_and_changes_nothing(app, hall, reception):
    """A dry run reports what it would anonymise."""
    booking = book(reception, hall, DAY, "18:00", "19:30")
    assert run_retention(now=ERASE_AT, dry_run=True).tasks["bookings"] == 1
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).has_contact


def test_member_link_goes_and_the_purpose_ends_with_the_booking(app, hall, reception, member):
    """A member in access and bookings keeps the names for access; the booking loses the link."""
    booking = book(reception, hall, DAY, "18:00", "19:30", member=member, contact="")
    run_retention(now=ERASE_AT + timedelta(minutes=1))
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).member_id is None
    assert member.purpose("bookings") is None and member.has_field("first_name")


def test_ending_the_bookings_purpose_unlinks_the_members_bookings(app, hall, reception, member):
    """A member who asks to end the bookings purpose: the next retention run unlinks them."""
    booking = book(reception, hall, DAY, "18:00", "19:30", member=member, contact="m@example.lv")
    members.end_purpose(member, "bookings", actor="system")
    db.session.commit()
    assert run_retention(now=NOW).tasks["bookings"] == 1
    db.session.expire_all()
    left = db.session.get(Booking, booking.id)
    assert left.member_id is None and not left.has_contact and left.starts_at is not None


def test_a_bookings_only_member_is_erased_and_the_times_stay(app, hall, reception):
    """Someone who only booked is erased when the booking's retention ends."""
    guest = enrol(
        {"first_name": "Oskars", "last_name": "Liepa", "phone": "+371 2911 2222"}, ["bookings"]
    )
    booking = book(reception, hall, DAY, "18:00", "19:30", member=guest, contact="")
    guest_id = guest.public_id
    report = run_retention(now=ERASE_AT + timedelta(minutes=1))
    assert guest_id in report.erased_members
    db.session.expire_all()
    assert db.session.scalar(select(ErasureJournal).where(ErasureJournal.public_id == guest_id))
    left = db.session.get(Booking, booking.id)
    assert left is not None and left.member_id is None


def test_erasing_a_member_keeps_anonymous_times(app, hall, reception, member):
    """The erasure hook unlinks the bookings and blanks any contact given for them."""
    booking = book(reception, hall, DAY, "18:00", "19:30", member=member, contact="+371 2612 3456")
    members.erase_member(member, actor="system")
    db.session.commit()
    db.session.expire_all()
    left = db.session.get(Booking, booking.id)
    assert left.member_id is None and not left.has_contact


def test_subject_access_lists_the_members_bookings(app, hall, reception, member):
    """The export has each booking's hall, times and the contact given for it."""
    book(reception, hall, DAY, "18:00", "19:30", member=member, contact="marta@example.lv")
    export = subject_access.gather(member)
    assert export["bookings"] == [
        {
            "hall": "Lielā zāle — Centrs",
            "starts_at": "2030-01-15T16:00:00+00:00",
            "ends_at": "2030-01-15T17:30:00+00:00",
            "contact_for_this_booking": {"email": "marta@example.lv"},
        }
    ]


def test_key_rotation_covers_booking_contacts(app, hall, reception):
    """Contacts re-encrypt under a new key and still read back."""
    from clubsite.privacy.crypto import key_id_of
    from clubsite.privacy.keys import reencrypt_all

    booking = book(reception, hall, DAY, "18:00", "19:30")
    new_ring = app.config["KEY_RING"].with_new_active_key()
    assert reencrypt_all(new_ring) >= 2
    app.config["KEY_RING"] = new_ring
    db.session.expire_all()
    again = db.session.get(Booking, booking.id)
    assert key_id_of(again.visitor_name_enc) == new_ring.active_id
    assert contact.read_contact(again)["visitor_name"] == "Pēteris Visitors"
