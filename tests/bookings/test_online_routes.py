"""The public booking pages over HTTP: times only, plain forms, no-store, rate limits, racing
visitors, the mails at a real SMTP server, reception's list, approval, and the guard's view."""

import re
import threading
from datetime import timedelta

import lxml.html
import pytest
from sqlalchemy import func, select

from clubsite.bookings import halls
from clubsite.bookings.models import Booking
from clubsite.extensions import db
from clubsite.i18n import today_local
from tests.bookings.conftest import MARTA, book, tomorrow
from tests.conftest import csrf_token
from tests.support.mailbox import text_body

SETTINGS = {"online": "y", "online_opens": "08:00", "online_closes": "22:00",
            "slot_minutes": "60", "days_ahead": "14"}  # fmt: skip
LINK = re.compile(r"http://localhost(/rezervet/atcelt/[^\s?]+)")


@pytest.fixture
def online_hall(hall):
    """The first site's big hall, opened for online booking."""
    halls.update_online(hall, SETTINGS)
    db.session.commit()
    return hall


def _form_url(hall, day=None, start="18:00"):
    day = day or tomorrow()
    return f"/rezervet/zale/{hall.public_id}?day={day.isoformat()}&start={start}"


def _post(client, hall, *, name="Ilze Ozola", contact="ilze@example.lv", start="18:00", **extra):
    url = _form_url(hall, start=start)
    data = {"csrf_token": csrf_token(client, url), "day": tomorrow().isoformat(),
            "start": start, "visitor_name": name, "contact": contact, **extra}  # fmt: skip
    return client.post(url, data=data)


def _count():
    return db.session.scalar(select(func.count(Booking.id)))


def test_one_site_leads_straight_to_its_week(client, online_hall):
    """/rezervet with one site goes to that site's page; the start page links to it."""
    assert 'href="/rezervet"' in client.get("/").get_data(as_text=True)
    response = client.get("/rezervet")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rezervet/{online_hall.location.public_id}")


def test_the_public_page_never_shows_a_name(client, online_hall, reception, member, english):
    """Busy times of a visitor's and a member's bookings show as busy, with no name, no
    contact, and no link into them; the page is no-store and under the strict CSP."""
    book(reception, online_hall, tomorrow(), "18:00", "19:00", name="Pēteris Slepenais", now=None)
    book(reception, online_hall, tomorrow(), "20:00", "21:00", member=member, contact="", now=None)
    english(client)
    response = client.get(f"/rezervet/{online_hall.location.public_id}?day={tomorrow()}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for secret in ("Pēteris", "Slepenais", MARTA["first_name"], MARTA["last_name"], "+371"):
        assert secret not in body
    day = lxml.html.fromstring(body).xpath(
        f'//form[input[@name="day"][@value="{tomorrow().isoformat()}"]]'
    )[0]
    buttons = {b.get("value"): b.get("disabled") is not None for b in day.xpath(".//button")}
    assert buttons["18:00"] and buttons["20:00"]  # busy: shown, not bookable
    assert not buttons["19:00"] and not buttons["21:00"]
    assert day.get("action") == f"/rezervet/zale/{online_hall.public_id}"
    assert day.get("method") == "get"  # a plain form: no script needed
    assert response.headers["Cache-Control"] == "no-store"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "/privatums" in body


def test_a_bad_week_or_site_is_a_plain_answer(client, online_hall, small_hall):
    """A malformed ?day= shows this week; a hall not open online, or a site without any,
    answers 404."""
    site = online_hall.location.public_id
    assert client.get(f"/rezervet/{site}?day=9999-99-99").status_code == 200
    assert client.get("/rezervet/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get(f"/rezervet/zale/{small_hall.public_id}").status_code == 404


def test_the_form_asks_only_a_name_and_one_contact(client, online_hall):
    """Two text fields and a hidden spam trap; nothing pre-ticked; the privacy notice linked."""
    body = client.get(_form_url(online_hall)).get_data(as_text=True)
    inputs = re.findall(r'<input[^>]*name="([^"]+)"', body)
    assert sorted(set(inputs) - {"csrf_token", "lang", "next"}) == [
        "contact", "day", "start", "visitor_name", "website"
    ]  # fmt: skip
    assert "checked" not in body and 'type="checkbox"' not in body
    assert 'href="/privatums"' in body


def test_booking_mails_the_confirmation_and_the_link_cancels(
    client, online_hall, mailbox, reception, client_for
):
    """Book, get the mail at the SMTP server in the visitor's language, see the booking on
    reception's day list at once, cancel by the link (GET shows, POST cancels)."""
    response = _post(client, online_hall)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "18:00–19:00" in page.get_data(as_text=True)
    assert "Ilze" not in page.get_data(as_text=True)  # the link's page names no one

    desk = client_for("reception").get(f"/office/bookings?day={tomorrow().isoformat()}")
    assert "Ilze Ozola" in desk.get_data(as_text=True)

    (message,) = mailbox.wait_for(1)
    assert message["to"] == ["ilze@example.lv"]
    body = text_body(message["message"])
    assert "Labdien!" in body and "18:00–19:00" in body  # Latvian, as she browsed
    path = LINK.search(body).group(1)
    assert "ilze" not in path.lower()
    assert client.get(path).status_code == 200  # a mail scanner opening it cancels nothing
    assert _count() == 1
    cancelled = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert cancelled.status_code == 200 and "atcelta" in cancelled.get_data(as_text=True)
    assert _count() == 0
    assert client.get(path).status_code == 404


def test_a_phone_only_visitor_keeps_the_page_link(client, online_hall, mailbox):
    """No mail without an email address: the page says to keep its address instead."""
    response = _post(client, online_hall, contact="+371 2612 3456")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "grāmatzīmi" in page
    mailbox.flush()
    assert mailbox.messages == []


def test_two_visitors_racing_for_one_slot_one_wins(app, online_hall):
    """Two browsers press "Book" for the same slot together: one booking, one told."""
    clients = [app.test_client() for _ in range(2)]
    url = _form_url(online_hall)
    tokens = [csrf_token(c, url) for c in clients]
    day = tomorrow().isoformat()
    db.session.commit()
    barrier, responses = threading.Barrier(2), []

    def post(client, token, name):
        data = {"csrf_token": token, "day": day, "start": "18:00", "visitor_name": name,
                "contact": "+371 2000 0009"}  # fmt: skip
        with app.app_context():
            barrier.wait(5)
            responses.append(client.post(url, data=data))

    threads = [threading.Thread(target=post, args=(c, t, n))
               for c, t, n in zip(clients, tokens, ["Anna", "Berta"], strict=True)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in responses) == [302, 409]
    told = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "Kāds tikko rezervēja šo laiku" in told
    assert _count() == 1


def test_the_spam_trap_books_nothing(client, online_hall):
    """A filled-in hidden field is quietly ignored."""
    response = _post(client, online_hall, website="http://spam")
    assert response.status_code == 302 and "/rezervet/" in response.headers["Location"]
    assert _count() == 0


def test_booking_is_rate_limited_per_contact(client, online_hall):
    """The same contact at most five times an hour (kept as a keyed hash)."""
    statuses = [
        _post(client, online_hall, start=f"{8 + n:02d}:00", contact="+371 2000 0010").status_code
        for n in range(6)
    ]
    assert statuses == [302] * 5 + [429]


def test_staff_set_online_booking_and_approve(client, client_for, hall, mailbox):
    """The admin opens a hall with approval; a visitor's booking waits; reception approves it
    and the visitor is mailed."""
    admin = client_for("admin")
    url = f"/office/bookings/halls/{hall.public_id}"
    data = {**SETTINGS, "needs_approval": "y", "csrf_token": csrf_token(admin, url)}
    assert admin.post(url + "/online", data=data).status_code == 302
    assert 'href="/rezervet/' in admin.get(url).get_data(as_text=True)

    assert _post(client, hall).status_code == 302
    desk = client_for("reception")
    day_list = desk.get("/office/bookings").get_data(as_text=True)
    assert 'id="pending-bookings"' in day_list and "Ilze Ozola" in day_list
    booking = db.session.scalar(select(Booking))
    detail = f"/office/bookings/{booking.public_id}"
    data = {"csrf_token": csrf_token(desk, detail), "version": str(booking.version)}
    assert desk.post(detail + "/decide/approve", data=data).status_code == 302
    db.session.refresh(booking)
    assert booking.status == "confirmed"
    subjects = [m["message"]["subject"] for m in mailbox.wait_for(2)]
    assert len(subjects) == 2 and "apstiprināta" in subjects[1]


def test_bad_online_settings_are_shown_on_the_form(client_for, hall):
    """A refused setting answers 400 with the message beside its field."""
    admin = client_for("admin")
    url = f"/office/bookings/halls/{hall.public_id}"
    data = {**SETTINGS, "slot_minutes": "1000", "csrf_token": csrf_token(admin, url)}
    response = admin.post(url + "/online", data=data)
    assert response.status_code == 400
    assert 'id="slot_minutes-error"' in response.get_data(as_text=True)


def test_a_guard_sees_occupancy_only(client, client_for, online_hall):
    """The staff role (guard, cleaner) sees an online booking's times and nothing personal;
    the named lists and the decision are refused."""
    _post(client, online_hall)
    guard = client_for("staff")
    page = guard.get(f"/office/occupancy?day={tomorrow().isoformat()}").get_data(as_text=True)
    assert "18:00" in page and "Ilze" not in page and "ilze@" not in page
    assert guard.get("/office/bookings").status_code == 403
    booking = db.session.scalar(select(Booking))
    assert guard.get(f"/office/bookings/{booking.public_id}").status_code == 403


def test_the_week_links_onwards_only_as_far_as_halls_reach(client, online_hall):
    """No previous week before this one; no next week past the last bookable day."""
    site = online_hall.location.public_id
    body = client.get(f"/rezervet/{site}").get_data(as_text=True)
    assert "Iepriekšējā nedēļa" not in body
    far = today_local() + timedelta(days=14)
    body = client.get(f"/rezervet/{site}?day={far.isoformat()}").get_data(as_text=True)
    assert "Nākamā nedēļa" not in body and "Iepriekšējā nedēļa" in body


def test_the_new_pages_are_free_of_html_faults(client, client_for, online_hall):
    """The week, the form (also with errors), the booking's page and the hall's settings pass
    the same checks as every other page (duplicate ids, labels, missing references)."""
    from tests.support.htmlcheck import problems

    site = online_hall.location.public_id
    pages = [client.get(f"/rezervet/{site}"), client.get(_form_url(online_hall))]
    pages.append(_post(client, online_hall, name="", contact="nav"))
    pages.append(client.get(_post(client, online_hall).headers["Location"]))
    pages.append(client_for("admin").get(f"/office/bookings/halls/{online_hall.public_id}"))
    for response in pages:
        assert response.status_code in (200, 400), response.status_code
        assert problems(response.get_data(as_text=True)) == []
