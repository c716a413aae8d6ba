"""Online booking rules: what a site's week offers, booking a slot, cancelling by the link's
secret, staff approval, weekly repeats of staff bookings, and the 30-day blanking."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clubsite import unit_of_work
from clubsite.bookings import approval, halls, online, service, week
from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import ONLINE, Booking
from clubsite.bookings.privacy_hooks import anonymise_old_bookings, drop_undecided_bookings
from clubsite.extensions import db
from clubsite.privacy.access import AccessDenied
from clubsite.privacy.audit import AuditEvent
from clubsite.security import token_hash
from tests.bookings.conftest import DAY, NOW, book

ONLINE_SETTINGS = {
    "online": "y",
    "online_opens": "08:00",
    "online_closes": "12:00",
    "slot_minutes": "60",
    "days_ahead": "14",
}
VISITOR = {"visitor_name": "Ilze Ozola", "contact": "ilze@example.lv"}


def open_online(hall, **settings):
    """Open the hall for online booking through the halls service, and commit."""
    halls.update_online(hall, {**ONLINE_SETTINGS, **settings})
    db.session.commit()
    return hall


def book_slot(hall, day=DAY, start="09:00", now=NOW, **values):
    """Book a slot as a visitor would, and commit: (booking, cancel secret)."""
    raw = {"day": day.isoformat(), "start": start, **VISITOR, **values}
    booking, secret = online.book_online(hall.public_id, raw, language="en", now=now)
    db.session.commit()
    return booking, secret


def _count():
    return db.session.scalar(select(func.count(Booking.id)))


def test_the_week_shows_free_and_busy_slots_of_online_halls_only(hall, small_hall, reception):
    """Only halls opened online appear; a staff booking makes its slots busy; past days and
    days beyond the hall's reach offer nothing."""
    open_online(hall, days_ahead="3")
    book(reception, small_hall, DAY, "09:00", "10:00")  # not online: never on the page
    book(reception, hall, DAY, "09:30", "10:30")
    days, weeks = week.site_week(hall.location, DAY, now=NOW)
    assert [w.name for w in weeks] == ["Lielā zāle"]
    slots = weeks[0].days[DAY]
    assert [(s.start, s.end, s.free) for s in slots] == [
        ("08:00", "09:00", True),
        ("09:00", "10:00", False),
        ("10:00", "11:00", False),
        ("11:00", "12:00", True),
    ]
    assert weeks[0].days[date(2030, 1, 14)] == []  # 12:00 now: every slot has begun
    assert weeks[0].days[date(2030, 1, 17)] is not None  # today + 3
    assert weeks[0].days[date(2030, 1, 18)] is None
    assert days[0] == date(2030, 1, 14)


def test_the_week_reads_busy_times_in_one_query(app, site, reception):
    """The page's cost does not grow with the halls: one query for every hall's busy times."""
    from sqlalchemy import event

    created = [open_online(halls.add_hall({"name": f"Zāle {n}", "location": site.public_id}))
               for n in range(5)]  # fmt: skip
    book(reception, created[0], DAY, "09:00", "10:00")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if "FROM booking" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _days, weeks = week.site_week(site, DAY, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(weeks) == 5 and len(statements) == 1


def test_a_visitor_books_a_free_slot_and_only_its_hash_is_stored(hall):
    """The booking is the visitor's, confirmed, encrypted, and the secret itself is not kept."""
    open_online(hall)
    booking, secret = book_slot(hall)
    assert booking.created_by == ONLINE and booking.status == "confirmed"
    assert booking.cancel_token_hash == token_hash(secret) != secret
    assert b"Ilze" not in booking.visitor_name_enc and booking.email_enc is not None
    assert booking.phone_enc is None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "booking.created_online")
    )
    assert event.actor_type == "visitor" and "Ilze" not in (event.detail + event.fields)


@pytest.mark.parametrize(
    ("start", "day"),
    [("09:30", DAY), ("12:00", DAY), ("07:00", DAY), ("11:00", date(2030, 1, 14)),
     ("09:00", date(2030, 2, 1)), ("25:00", DAY), ("", DAY)],
)  # fmt: skip
def test_only_offered_slots_that_have_not_begun_can_be_booked(hall, start, day):
    """Off the grid, past the closing time, begun, too far ahead, or malformed: refused."""
    open_online(hall)
    with pytest.raises(BookingError, match="cannot be booked online"):
        book_slot(hall, day=day, start=start)
    db.session.rollback()
    assert _count() == 0


def test_a_hall_not_open_online_cannot_be_booked(hall):
    """A hall staff did not open online is not found, even with its public id."""
    with pytest.raises(online.NotFound):
        book_slot(hall)


def test_a_visitor_needs_a_name_and_a_contact(hall):
    """The bookings purpose needs a name and one phone or email: nothing less is accepted."""
    open_online(hall)
    with pytest.raises(BookingError, match="name"):
        book_slot(hall, visitor_name="")
    with pytest.raises(BookingError, match="phone number or an email"):
        book_slot(hall, contact="")


def test_a_taken_slot_is_refused_even_by_a_longer_staff_booking(hall, reception):
    """The same overlap rule as staff bookings: any overlap takes the slot."""
    open_online(hall)
    book(reception, hall, DAY, "08:30", "09:15")
    with pytest.raises(online.SlotTaken):
        book_slot(hall, start="09:00")


def _race(app, hall_public_id, day, start, names):
    """Each name books the same slot in its own thread and app context, through the unit of
    work as a request does; returns {name: "booked" or the refusal}."""
    barrier, results = threading.Barrier(len(names)), {}

    def visitor(name):
        with app.app_context():
            barrier.wait(5)
            raw = {"day": day, "start": start, "visitor_name": name, "contact": "+371 2000 0002"}
            try:
                with unit_of_work.write():
                    online.book_online(hall_public_id, raw, language="lv")
                results[name] = "booked"
            except BookingError as exc:
                results[name] = type(exc).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_visitors_racing_for_one_slot_one_wins(app, hall):
    """Three threads take the same slot at once (SQLite file and PostgreSQL): one booking."""
    open_online(hall)
    day, hall_id = (datetime.now(UTC) + timedelta(days=2)).date().isoformat(), hall.public_id
    db.session.commit()  # the test's own read must not hold SQLite's write lock
    results = _race(app, hall_id, day, "10:00", ["Anna", "Berta", "Cilda"])
    assert sorted(results.values()) == ["SlotTaken", "SlotTaken", "booked"]
    assert _count() == 1


def test_the_cancel_secret_cancels_once_and_nothing_else_does(hall):
    """The secret opens and cancels the booking; a wrong one finds nothing; afterwards the
    booking and its contact are gone."""
    open_online(hall)
    booking, secret = book_slot(hall)
    assert online.booking_for_secret("x" + secret) is None
    assert online.booking_for_secret(secret).id == booking.id
    label, starts_at, _ends = online.cancel_online(secret, now=NOW)
    db.session.commit()
    assert label == "Lielā zāle — Centrs" and starts_at.hour == 9
    assert _count() == 0 and online.booking_for_secret(secret) is None
    with pytest.raises(online.NotFound):
        online.cancel_online(secret, now=NOW)


def test_a_begun_booking_cannot_be_cancelled_by_the_visitor(hall):
    """Cancelling online ends when the booking begins."""
    open_online(hall)
    _booking, secret = book_slot(hall)
    with pytest.raises(BookingError, match="already begun"):
        online.cancel_online(secret, now=datetime(2030, 1, 15, 7, 30, tzinfo=UTC))


def test_approval_holds_the_slot_and_staff_decide(hall, reception):
    """A hall needing approval gets pending bookings that hold the slot; approving confirms,
    refusing deletes (both mailed to the visitor through the outbox)."""
    from clubsite.outbox.models import OutboxMessage

    open_online(hall, needs_approval="y")
    first, _secret = book_slot(hall, start="09:00")
    second, _secret = book_slot(hall, start="10:00")
    assert first.status == second.status == "pending"
    with pytest.raises(online.SlotTaken):
        book_slot(hall, start="09:00")
    db.session.rollback()
    assert [b.id for b in approval.pending_bookings(now=NOW)] == [first.id, second.id]
    approval.decide(reception, first.public_id, first.version, approve=True, now=NOW)
    approval.decide(reception, second.public_id, second.version, approve=False, now=NOW)
    db.session.commit()
    assert db.session.get(Booking, first.id).status == "confirmed"
    assert db.session.get(Booking, second.id) is None
    kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["booking_approved", "booking_refused"]  # book_slot queues no mail itself
    with pytest.raises(BookingError, match="does not wait"):
        approval.decide(reception, first.public_id, 2, approve=True, now=NOW)


def test_a_guard_cannot_decide(hall, make_staff):
    """Deciding needs the bookings permission."""
    open_online(hall, needs_approval="y")
    booking, _secret = book_slot(hall)
    with pytest.raises(AccessDenied):
        approval.decide(make_staff("staff"), booking.public_id, 1, approve=True, now=NOW)


def test_undecided_bookings_go_when_their_time_begins(hall):
    """A pending booking nobody decided on is dropped by retention once its time has begun."""
    open_online(hall, needs_approval="y")
    book_slot(hall)
    assert drop_undecided_bookings(NOW, dry_run=False) == 0
    later = datetime(2030, 1, 15, 8, 0, tzinfo=UTC)
    assert drop_undecided_bookings(later, dry_run=True) == 1
    assert drop_undecided_bookings(later, dry_run=False) == 1
    assert _count() == 0


def test_an_online_visitors_contact_is_blanked_after_30_days(hall):
    """The existing 30-day blanking covers online bookings, and the cancel link stops too."""
    open_online(hall)
    booking, secret = book_slot(hall)
    assert anonymise_old_bookings(datetime(2030, 2, 14, 10, 0, tzinfo=UTC), False) == 0
    assert anonymise_old_bookings(datetime(2030, 2, 15, 10, 0, tzinfo=UTC), False) == 1
    db.session.commit()
    db.session.refresh(booking)
    assert not booking.has_contact and booking.cancel_token_hash is None
    assert online.booking_for_secret(secret) is None


@pytest.mark.parametrize(
    ("values", "field"),
    [({"online_opens": "12:00", "online_closes": "12:30"}, "online_closes"),
     ({"slot_minutes": "5"}, "slot_minutes"), ({"days_ahead": "0"}, "days_ahead"),
     ({"days_ahead": "٣"}, "days_ahead"), ({"online_opens": "8"}, "online_opens")],
)  # fmt: skip
def test_online_settings_are_checked(hall, values, field):
    """Hours that hold no slot, a slot or reach out of bounds, a malformed time: refused."""
    with pytest.raises(BookingError) as refused:
        halls.update_online(hall, {**ONLINE_SETTINGS, **values})
    assert refused.value.field == field


def test_closing_at_midnight_offers_the_last_evening_slot(hall):
    """00:00 as the closing time means midnight."""
    open_online(hall, online_opens="22:00", online_closes="00:00", slot_minutes="120")
    slots = week.slot_times(db.session.get(type(hall), hall.id), DAY)
    assert [(s.hour, e.hour) for s, e in slots] == [(20, 22)]  # 22:00–00:00 Riga = UTC+2


def test_staff_bookings_repeat_weekly_until_a_date(hall, reception):
    """A weekly series: the same Riga times each week, one series id, all or nothing."""
    first = service.book(
        reception,
        {"hall": hall.public_id, "day": "2030-03-18", "start": "18:00", "end": "19:00",
         "who": "visitor", "visitor_name": "Koris", "contact": "+371 2000 0003",
         "repeat_until": "2030-04-08"},
        now=NOW,
    )  # fmt: skip
    db.session.commit()
    series = db.session.scalars(
        select(Booking).where(Booking.series_id == first.series_id).order_by(Booking.starts_at)
    ).all()
    # Four Mondays; summer time begins on 31 March, and the series stays at 18:00 in Riga.
    assert [(b.starts_at.day, b.starts_at.hour) for b in series] == [
        (18, 16),
        (25, 16),
        (1, 15),
        (8, 15),
    ]
    with pytest.raises(BookingError, match="already booked"):
        service.book(
            reception,
            {"hall": hall.public_id, "day": "2030-03-11", "start": "18:30", "end": "19:30",
             "who": "visitor", "visitor_name": "Cits", "contact": "+371 2000 0004",
             "repeat_until": "2030-04-01"},
            now=NOW,
        )  # fmt: skip
    db.session.rollback()
    assert _count() == 4


@pytest.mark.parametrize("until", ["2030-03-20", "2031-06-01", "soon"])
def test_a_repeat_date_too_close_or_too_far_is_refused(hall, reception, until):
    """At least a week later, at most a year of weeks, and a real date."""
    with pytest.raises(BookingError) as refused:
        service.book(
            reception,
            {"hall": hall.public_id, "day": "2030-03-18", "start": "18:00", "end": "19:00",
             "who": "visitor", "visitor_name": "Koris", "contact": "+371 2000 0003",
             "repeat_until": until},
            now=NOW,
        )  # fmt: skip
    assert refused.value.field == "repeat_until"


def test_the_weeks_fingerprint_follows_every_booking_change(hall, reception):
    """The public page's cached halls part is keyed by this: making, moving and cancelling a
    booking each change it; nothing else in the same minute does."""

    def fingerprint():
        return week.week_inputs(hall.location, DAY, now=NOW).fingerprint

    open_online(hall)
    empty = fingerprint()
    assert fingerprint() == empty
    booking, secret = book_slot(hall)
    made = fingerprint()
    moved_raw = {"hall": hall.public_id, "day": DAY.isoformat(), "start": "10:00", "end": "11:00",
                 "visitor_name": "Ilze Ozola", "contact": "ilze@example.lv",
                 "version": str(booking.version)}  # fmt: skip
    service.change_booking(reception, booking.public_id, moved_raw, now=NOW)
    db.session.commit()
    moved = fingerprint()
    online.cancel_online(secret, now=NOW)
    db.session.commit()
    assert len({empty, made, moved}) == 3 and fingerprint() != moved
