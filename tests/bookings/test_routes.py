"""The bookings pages: book, bad input, day and week views, detail, cancel, occupancy, halls."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from clubsite.bookings import service
from clubsite.bookings.models import Booking, Hall
from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.privacy.audit import AuditEvent
from tests.bookings.conftest import MARTA, VISITOR, book, card_number, tomorrow
from tests.conftest import csrf_token

NEW = "/office/bookings/new"


def _count():
    return db.session.scalar(select(func.count(Booking.id)))


def _form(client, the_hall, **overrides):
    data = {
        "hall": the_hall.public_id,
        "day": tomorrow().isoformat(),
        "start": "18:00",
        "end": "19:30",
        "who": "visitor",
        "visitor_name": VISITOR,
        "contact": "+371 2000 0001",
        "submit": "1",
        "csrf_token": csrf_token(client, NEW),
    }
    data.update(overrides)
    return data


@pytest.fixture
def desk(client_for, english):
    """An English-speaking reception client."""
    return english(client_for("reception"))


def test_reception_books_for_a_visitor_and_sees_it_on_the_day(desk, hall):
    """The booking is made and the day list shows the time, the hall and the name."""
    response = desk.post(NEW, data=_form(desk, hall))
    assert response.status_code == 302
    assert f"day={tomorrow().isoformat()}" in response.headers["Location"]
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "18:00–19:30" in page and "Lielā zāle" in page and VISITOR in page
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "booking.created" in actions and "booking.list" in actions


def test_search_by_card_number_then_book_for_the_member(desk, hall, member):
    """A card number finds exactly one member, who is chosen; the booking enrols them."""
    card = card_number(member)
    db.session.commit()
    found = desk.post(
        NEW,
        data=_form(desk, hall, who="member", query=card, search="1", submit="", visitor_name=""),
    )
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "Marta Kalniņa" in html
    assert f'value="{member.public_id}" checked' in html or "checked" in html
    assert 'value="18:00"' in html  # the times typed are kept while searching
    booked = desk.post(
        NEW,
        data=_form(desk, hall, who="member", member=member.public_id, visitor_name="", contact=""),
    )
    assert booked.status_code == 302
    db.session.expire_all()
    assert member.purpose("bookings") is not None
    assert MARTA["first_name"] in desk.get(booked.headers["Location"]).get_data(as_text=True)


def test_unknown_search_says_so_and_keeps_the_form(desk, hall):
    """No match is a message on the search field, not an error page."""
    response = desk.post(NEW, data=_form(desk, hall, who="member", query="Zzyzx", search="1"))
    assert "No member found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start": "20:00", "end": "19:00"}, "The end must be after the start."),
        ({"hall": "00000000-0000-4000-8000-000000000000"}, "Choose a hall from the list."),
        ({"start": "18:7O"}, "Enter a time like 18:30."),
        ({"start": "18:30", "end": "19:00"}, "already booked"),
        ({"contact": ""}, "Give a phone number or an email address."),
        ({"who": "member", "member": ""}, "Find the member and choose them from the list."),
    ],
)
def test_bad_input_changes_nothing_and_keeps_what_was_typed(desk, hall, overrides, message):
    """A clear message on the form, the typed values still there, no new booking."""
    service.book(
        db.session.merge(desk.staff_user),
        {
            "hall": hall.public_id,
            "day": tomorrow().isoformat(),
            "start": "18:00",
            "end": "19:00",
            "who": "visitor",
            "visitor_name": "Cits Cilvēks",
            "contact": "cits@example.lv",
        },
    )
    db.session.commit()
    response = desk.post(NEW, data=_form(desk, hall, visitor_name="Ilze Drukāta", **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'value="Ilze Drukāta"' in html
    assert f'value="{overrides.get("start", "18:00")}"' in html
    assert _count() == 1


def test_staff_sees_occupancy_times_but_no_names(client_for, english, hall, member, reception):
    """Guards and cleaners see when halls are busy today and this week, and no one's name."""
    today = today_local().isoformat()
    book(
        reception, hall, today, "21:00", "22:00", member=member, contact="+371 2612 3456", now=None
    )
    book(
        reception,
        hall,
        today,
        "22:00",
        "23:00",
        name="Viesis Slepenais",
        contact="viesis@example.lv",
        now=None,
    )
    guard = english(client_for("staff"))
    for url in ("/office/occupancy", "/office/"):
        html = guard.get(url).get_data(as_text=True)
        assert "21:00–22:00" in html and "22:00–23:00" in html, url
        for secret in ("Marta", "Kalniņa", "Viesis", "Slepenais", "viesis@", "2612"):
            assert secret not in html, (url, secret)
    assert guard.get("/office/bookings").status_code == 403
    desk = english(client_for("reception"))
    home = desk.get("/office/").get_data(as_text=True)
    assert "Today&#39;s bookings" in home and "Marta Kalniņa" in home and "Viesis Slepenais" in home
    assert home.index("Today&#39;s bookings") < home.index("Halls today")


def test_detail_shows_the_contact_and_audits_the_read(desk, hall, reception):
    """Opening a booking decrypts its contact for reception, with an audit record of the fields."""
    booking = book(reception, hall, tomorrow(), "18:00", "19:00", now=None)
    html = desk.get(f"/office/bookings/{booking.public_id}").get_data(as_text=True)
    assert "+371 2000 0001" in html and VISITOR in html
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.contact_read")
    ).one()
    assert event.fields == "phone,visitor_name" and booking.public_id in event.detail


def test_change_and_stale_change(desk, hall, reception):
    """A change moves the booking; a form made before someone else's change is refused."""
    booking = book(reception, hall, tomorrow(), "18:00", "19:00", now=None)
    url = f"/office/bookings/{booking.public_id}"
    token = csrf_token(desk, url)
    data = {
        "hall": hall.public_id,
        "day": tomorrow().isoformat(),
        "start": "10:00",
        "end": "11:00",
        "visitor_name": VISITOR,
        "contact": "+371 2000 0001",
        "version": "1",
        "csrf_token": token,
    }
    assert desk.post(url, data=data).status_code == 302
    stale = desk.post(url, data={**data, "start": "12:00", "end": "13:00"})
    assert stale.status_code == 200
    assert "Someone else changed this booking" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).version == 2


def test_cancel_removes_the_booking(desk, hall, reception):
    """Cancelling deletes the booking and its contact, audited with field names only."""
    booking = book(reception, hall, tomorrow(), "18:00", "19:00", now=None)
    url = f"/office/bookings/{booking.public_id}"
    response = desk.post(
        f"{url}/cancel", data={"version": "1", "csrf_token": csrf_token(desk, url)}
    )
    assert response.status_code == 302
    assert _count() == 0
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.cancelled")
    ).one()
    assert event.fields == "phone,visitor_name"
    assert desk.get(url).status_code == 404


def test_week_view_starts_on_monday_and_day_view_prints(desk, hall, reception):
    """The week runs Monday to Sunday; the day list's controls are hidden when printed."""
    day = tomorrow()
    book(reception, hall, day, "18:00", "19:00", now=None)
    week = desk.get(f"/office/bookings/week?day={day.isoformat()}").get_data(as_text=True)
    monday = day - timedelta(days=day.weekday())
    assert week.index("Monday") < week.index("Sunday")
    assert monday.strftime("%d.%m.%Y") in week and VISITOR in week
    page = desk.get(f"/office/bookings?day={day.isoformat()}").get_data(as_text=True)
    assert 'class="filters no-print"' in page and "data-print" in page


def test_admin_manages_halls(client_for, english, site, hall, reception):
    """Add, refuse a duplicate or bad capacity, rename; deactivate only with nothing ahead."""
    admin = english(client_for("admin"))
    url = "/office/bookings/halls"
    at_site = {"location": site.public_id}
    added = admin.post(
        url,
        data={"name": "Jogas zāle", "capacity": "12", "csrf_token": csrf_token(admin, url)}
        | at_site,
    )
    assert added.status_code == 302
    duplicate = admin.post(
        url, data={"name": "jogas zāle", "csrf_token": csrf_token(admin, url)} | at_site
    )
    assert "There is already a hall with this name at this site." in duplicate.get_data(
        as_text=True
    )
    bad = admin.post(
        url,
        data={"name": "Cita", "capacity": "-3", "csrf_token": csrf_token(admin, url)} | at_site,
    )
    assert "Enter the number of people" in bad.get_data(as_text=True)
    assert 'value="Cita"' in bad.get_data(as_text=True)
    detail = f"{url}/{hall.public_id}"
    renamed = admin.post(
        detail,
        data={"name": "Sporta zāle", "capacity": "", "csrf_token": csrf_token(admin, detail)}
        | at_site,
    )
    assert renamed.status_code == 302
    book(reception, hall, tomorrow(), "18:00", "19:00", now=None)
    refused = admin.post(
        f"{detail}/deactivate", data={"csrf_token": csrf_token(admin, url)}, follow_redirects=True
    )
    assert "upcoming bookings" in refused.get_data(as_text=True)
    db.session.expire_all()
    names = {h.name: h.active for h in db.session.scalars(select(Hall))}
    assert names == {"Sporta zāle": True, "Jogas zāle": True}
    yoga = db.session.scalar(select(Hall).where(Hall.name == "Jogas zāle"))
    off = admin.post(
        f"{url}/{yoga.public_id}/deactivate", data={"csrf_token": csrf_token(admin, url)}
    )
    assert off.status_code == 302
    db.session.expire_all()
    assert db.session.get(Hall, yoga.id).active is False
    assert "Jogas zāle" not in admin.get(NEW).get_data(as_text=True)


def test_stale_cancel_is_refused_with_a_message_on_the_booking(desk, hall, reception):
    """A cancel from an older page leaves the booking and says why, on the booking's page."""
    booking = book(reception, hall, tomorrow(), "18:00", "19:00", now=None)
    url = f"/office/bookings/{booking.public_id}"
    response = desk.post(
        f"{url}/cancel", data={"version": "0", "csrf_token": csrf_token(desk, url)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone else changed this booking" in page
    assert _count() == 1
