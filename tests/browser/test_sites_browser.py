"""Two sites each with a "Lielā zāle": the booking page names every hall with its site, and the
header's switch shows one site's bookings."""

import pytest

from clubsite.bookings import halls, sites
from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.staff.sites import set_staff_sites
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser


def test_booking_page_names_each_hall_with_its_site(live_server, page, make_staff):
    """Reception of Purvciems sees its halls first, books the right "Lielā zāle", and the day
    list shows that hall's site; switching to Centrs hides the booking."""
    centre = sites.add_site({"name": "Centrs"})
    other = sites.add_site({"name": "Purvciems"})
    for site in (centre, other):
        halls.add_hall({"name": "Lielā zāle", "location": site.public_id})
    rita = make_staff("reception", email="rita@klubs.lv")
    set_staff_sites(rita, [other.public_id])
    db.session.commit()  # and read nothing more here: SQLite's write lock stays free for the server

    page.goto(live_server + "/office/login")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Email").fill("rita@klubs.lv")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/office/")

    page.goto(live_server + "/office/bookings/new")
    hall = page.get_by_label("Hall")
    options = hall.locator("option").all_inner_texts()
    assert options == ["Lielā zāle — Purvciems", "Lielā zāle — Centrs"]
    assert hall.evaluate("select => select.options[select.selectedIndex].text") == (
        "Lielā zāle — Purvciems"
    )
    page.get_by_label("A visitor").check()
    page.get_by_label("Date").fill(today_local().isoformat())
    page.get_by_label("From").fill("23:00")
    page.get_by_label("Until").fill("23:45")
    page.get_by_label("Visitor's name").fill("Pēteris Viesis")
    page.get_by_label("Phone or email").fill("+371 2000 0001")
    page.get_by_role("button", name="Book the hall").click()

    page.wait_for_url("**/office/bookings?day=*")
    row = page.locator("#day-bookings tbody tr").first
    assert "Lielā zāle — Purvciems" in row.inner_text() and "Pēteris Viesis" in row.inner_text()
    assert "Site: Purvciems" in page.locator("#shown-sites").inner_text()

    switch = page.locator("form.site-switch")
    switch.get_by_label("Site").select_option(label="Centrs")
    switch.get_by_role("button", name="Show").click()
    page.wait_for_url("**/office/bookings?day=*")
    assert "Site: Centrs" in page.locator("#shown-sites").inner_text()
    assert "Pēteris Viesis" not in page.locator("#day-bookings").inner_text()
    assert "site=" not in page.url and other.public_id not in page.url  # kept in the session
    assert page.console_errors == []
