"""A visitor books a hall from a phone without an account, gets the mail at a real SMTP
server, and cancels by its link; two visitors race for one slot (Chromium)."""

import re
import time

import pytest
from sqlalchemy import func, select

from clubsite.bookings import halls, sites
from clubsite.bookings.models import Booking
from clubsite.extensions import db
from tests.bookings.conftest import tomorrow
from tests.support.mailbox import text_body

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/rezervet/atcelt/\S+")
SETTINGS = {"online": "y", "online_opens": "08:00", "online_closes": "22:00",
            "slot_minutes": "60", "days_ahead": "14"}  # fmt: skip


def _online_hall():
    """A site with one hall open for online booking, committed (the server reads it)."""
    site = sites.add_site({"name": "Centrs", "address": "Brīvības iela 1, Rīga"})
    hall = halls.add_hall({"name": "Lielā zāle", "location": site.public_id})
    halls.update_online(hall, SETTINGS)
    ids = site.public_id, hall.public_id
    db.session.commit()  # and read nothing more here: SQLite's write lock stays free
    return ids


def _bookings():
    count = db.session.scalar(select(func.count(Booking.id)))
    db.session.commit()  # and hold no lock the server would wait for
    return count


def test_a_visitor_books_from_a_phone_and_cancels_by_the_mail(live_server, phone_page, mailbox):
    """From the start page to a booking in a few taps, in Latvian, on a narrow screen; the
    confirmation mail's link opens the booking and its button cancels it."""
    _online_hall()
    page, day = phone_page, tomorrow().isoformat()
    began = time.monotonic()
    page.goto(live_server + "/")
    page.get_by_role("link", name="Rezervēt zāli").click()
    page.wait_for_url("**/rezervet/*")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator(f'form:has(input[name=day][value="{day}"]) button[value="18:00"]').click()
    page.get_by_label("Jūsu vārds").fill("Ilze Ozola")
    page.get_by_label("Tālrunis vai e-pasts").fill("ilze@example.lv")
    assert page.locator("input[type=checkbox]").count() == 0  # nothing to tick, nothing pre-ticked
    assert page.get_by_role("link", name="Privātuma paziņojums").first.is_visible()
    page.get_by_role("button", name="Rezervēt", exact=True).click()
    page.get_by_role("heading", name="Jūsu rezervācija").wait_for()
    assert time.monotonic() - began < 60
    assert "18:00–19:00" in page.locator("dl.details").inner_text()
    assert "Ilze" not in page.content()
    assert _bookings() == 1

    mail = mailbox.wait_for(1)[0]
    assert mail["to"] == ["ilze@example.lv"]
    link = LINK.search(text_body(mail["message"])).group(0)
    page.goto(link)
    page.get_by_role("button", name="Atcelt rezervāciju").click()
    page.get_by_role("heading", name="Rezervācija ir atcelta").wait_for()
    assert _bookings() == 0
    assert page.console_errors == []


def test_two_visitors_race_for_one_slot_and_the_second_is_told(live_server, chromium):
    """Both open the same free slot; the first to press "Book" gets it, the other (here with
    JavaScript off) is told to choose another time, and the slot shows busy."""
    site, hall = _online_hall()
    url = f"{live_server}/rezervet/zale/{hall}?day={tomorrow().isoformat()}&start=10:00"
    pages = []
    for script in (True, False):
        context = chromium.new_context(
            java_script_enabled=script, viewport={"width": 390, "height": 844}, locale="lv-LV"
        )
        page = context.new_page()
        page.goto(url)
        page.get_by_label("Jūsu vārds").fill("Anna" if script else "Berta")
        page.get_by_label("Tālrunis vai e-pasts").fill("+371 2612 3456")
        pages.append(page)
    try:
        for page in pages:
            page.get_by_role("button", name="Rezervēt", exact=True).click()
        pages[0].get_by_role("heading", name="Jūsu rezervācija").wait_for()
        assert "Kāds tikko rezervēja šo laiku" in pages[1].locator(".error-summary").inner_text()
        assert _bookings() == 1
        pages[1].get_by_role("link", name="Atpakaļ pie laikiem").click()
        day = tomorrow().isoformat()
        slot = pages[1].locator(f'form:has(input[name=day][value="{day}"]) button[value="10:00"]')
        assert slot.is_disabled()
    finally:
        for page in pages:
            page.context.close()
