"""On a phone: a form shown again with errors starts at its error summary, whose links lead to
the inputs; the back-office menu is one line until it is opened. On a desktop the menu is open."""

import re

import pytest
from playwright.sync_api import expect

from clubsite.extensions import db
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser


def _choice(page, name):
    return page.get_by_role("checkbox", name=re.compile("^" + name))


def test_a_failed_sign_up_on_a_phone_moves_the_focus_to_the_error_summary(live_server, phone_page):
    """The summary is focused and in view; its link focuses the field with the error."""
    page = phone_page
    page.goto(live_server + "/pieteikties")
    _choice(page, "Abonements").check()
    page.locator("#first_name").fill("Laura")
    page.locator("#email").fill("nav-adrese")
    page.get_by_role("button", name="Pieteikties").click()
    summary = page.locator("[data-error-summary]")
    # The focusing script is deferred: it may run a moment after the summary is in the page.
    expect(summary).to_be_focused()
    assert summary.is_visible() and summary.bounding_box()["y"] < 844
    assert "Lūdzu, izlabojiet:" in summary.inner_text()
    summary.locator("a[href='#email']").click()
    expect(page.locator("#email")).to_be_focused()
    assert page.locator("#email").input_value() == "nav-adrese"  # what was typed stays
    assert page.console_errors == []


def _log_in(page, live_server, email):
    page.goto(live_server + "/office/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(live_server + "/office/")


def test_the_office_menu_is_one_line_on_a_phone_and_open_on_a_desktop(
    live_server, phone_page, page, make_staff
):
    """Phone: only "Menu: <this page>" shows until tapped; desktop: every link shows at once."""
    email = make_staff("reception", email="rita@klubs.lv").email
    db.session.commit()
    db.session.close()  # read nothing more here: SQLite's write lock stays free for the server
    _log_in(phone_page, live_server, email)
    phone_page.goto(live_server + "/office/members")
    summary = phone_page.locator(".site-nav-menu > summary")
    assert summary.is_visible() and "Klienti" in summary.inner_text()
    assert phone_page.locator(".site-nav").bounding_box()["height"] < 64  # one line
    links = phone_page.locator(".site-nav a")
    assert not links.first.is_visible()
    summary.click()
    assert links.first.is_visible() and links.count() >= 4
    _log_in(page, live_server, email)
    assert not page.locator(".site-nav-menu > summary").is_visible()
    assert page.get_by_role("link", name="Klienti").is_visible()
    assert page.locator(".site-nav").bounding_box()["height"] < 80
    assert page.console_errors == [] and phone_page.console_errors == []
