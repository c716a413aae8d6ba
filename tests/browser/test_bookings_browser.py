"""Reception books a hall for a member found by card number and sees it in today's list."""

import pytest

from clubsite.bookings import halls, sites
from clubsite.extensions import db
from clubsite.i18n import today_local
from tests.bookings.conftest import MARTA, card_number
from tests.conftest import STAFF_PASSWORD
from tests.privacy.factories import enrol

pytestmark = pytest.mark.browser


def test_reception_books_a_hall_for_a_member(live_server, page, make_staff):
    """Log in, find the member by card, book the hall for today, see it in today's list."""
    site = sites.add_site({"name": "Centrs"})
    halls.add_hall({"name": "Lielā zāle", "location": site.public_id})
    member = enrol(MARTA, ["access"], source="staff", actor="system")
    card = card_number(member)
    make_staff("reception", email="rita@klubs.lv")
    db.session.commit()  # and read nothing more here: SQLite's write lock stays free for the server

    page.goto(live_server + "/office/login")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Email").fill("rita@klubs.lv")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/office/")

    page.goto(live_server + "/office/bookings/new")
    assert page.get_by_label("Visitor's name").is_hidden()  # the member part is shown first
    page.get_by_label("Hall").select_option(label="Lielā zāle — Centrs")
    page.get_by_label("Date").fill(today_local().isoformat())
    page.get_by_label("From").fill("23:00")
    page.get_by_label("Until").fill("23:45")
    page.get_by_label("Find a member").fill(card)
    page.get_by_label("Find a member").press("Enter")  # as a card reader does
    page.get_by_label("Marta Kalniņa").wait_for()
    assert page.get_by_label("Marta Kalniņa").is_checked()
    assert page.get_by_label("From").input_value() == "23:00"
    page.get_by_role("button", name="Book the hall").click()

    page.wait_for_url("**/office/bookings?day=*")
    assert "The hall is booked." in page.locator(".flashes").inner_text()
    row = page.locator("#day-bookings tbody tr").first
    assert "23:00–23:45" in row.inner_text()
    assert "Marta Kalniņa" in row.inner_text() and "Lielā zāle" in row.inner_text()
    assert page.get_by_role("button", name="Print").is_visible()
    assert page.console_errors == []
