"""Two staff members booking the same hall at the same moment: exactly one gets it.

Each thread has its own app context (its own session and connection), as requests do.
"""

import threading
import time

from sqlalchemy import func, select

from clubsite.bookings import service
from clubsite.bookings.errors import BookingError
from clubsite.bookings.models import Booking
from clubsite.extensions import db
from clubsite.staff.models import StaffUser
from tests.bookings.conftest import NOW, english, tomorrow  # noqa: F401
from tests.conftest import AuthActions, csrf_token

RAW = {"day": "2030-01-15", "who": "visitor", "visitor_name": "Ilze Pirmā", "contact": "a@b.lv"}


def _count():
    return db.session.scalar(select(func.count(Booking.id)))


def test_second_writer_waits_for_the_hall_lock_and_is_refused(app, hall, reception):
    """The first transaction holds the hall while it is open; the second sees its booking."""
    raw = {**RAW, "hall": hall.public_id}
    user_id = reception.id
    db.session.commit()
    first_flushed, results = threading.Event(), {}

    def first():
        with app.app_context():
            user = db.session.get(StaffUser, user_id)
            service.book(user, {**raw, "start": "18:00", "end": "19:00"}, now=NOW)
            first_flushed.set()
            time.sleep(0.5)  # the second request arrives while this one is still open
            db.session.commit()
            results["first"] = "booked"

    def second():
        first_flushed.wait(5)
        with app.app_context():
            user = db.session.get(StaffUser, user_id)
            try:
                service.book(user, {**raw, "start": "18:30", "end": "19:30"}, now=NOW)
                db.session.commit()
                results["second"] = "booked"
            except BookingError as exc:
                db.session.rollback()
                results["second"] = str(exc.message)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results["first"] == "booked"
    assert "jau ir rezervēta" in results["second"]  # a thread of its own: Latvian
    assert _count() == 1


def test_two_concurrent_requests_for_the_same_time(app, hall, make_staff, english):  # noqa: F811
    """Two receptionists press "Book" together: one booking, one clear refusal."""
    clients = []
    for _ in range(2):
        user = make_staff("reception")
        client = english(app.test_client())
        assert AuthActions(client).login(user.email).status_code == 302
        clients.append((client, csrf_token(client, "/office/bookings/new")))
    day, hall_id = tomorrow().isoformat(), hall.public_id
    db.session.commit()  # the test's own read must not hold SQLite's write lock
    barrier, responses = threading.Barrier(2), []

    def post(client, token):
        data = {
            **RAW,
            "day": day,
            "hall": hall_id,
            "start": "18:00",
            "end": "19:00",
            "submit": "1",
            "csrf_token": token,
        }
        with app.app_context():
            barrier.wait(5)
            responses.append(client.post("/office/bookings/new", data=data))

    threads = [threading.Thread(target=post, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    assert "already booked" in refused.get_data(as_text=True)
    assert _count() == 1
