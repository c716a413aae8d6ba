"""A new admin sets up the club through the one-time link and lands on the Latvian home page."""

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "violet tram under seven bridges"


def test_admin_sets_up_logs_in_and_sees_latvian_home(live_server, page, runner):
    """Open the printed link, create the admin, log out, log in again, see the home page."""
    output = runner.invoke(args=["staff", "setup-link"]).output
    assert live_server in output  # the link uses the configured BASE_URL
    link = output.split(live_server)[1].split()[0]
    page.goto(live_server + link)
    page.get_by_label("Jūsu vārds").fill("Jānis Ozoliņš")
    page.get_by_label("E-pasts").fill("janis@klubs.lv")
    page.get_by_label("Jaunā parole", exact=True).fill(PASSWORD)
    page.get_by_label("Atkārtojiet jauno paroli").fill(PASSWORD)
    page.get_by_role("button", name="Izveidot kontu").click()
    page.wait_for_url(live_server + "/office/")
    page.get_by_role("button", name="Iziet").click()
    page.wait_for_url("**/office/login")
    page.get_by_label("E-pasts").fill("janis@klubs.lv")
    page.get_by_label("Parole").fill(PASSWORD)
    page.get_by_role("button", name="Pieslēgties").click()
    page.wait_for_url(live_server + "/office/")
    assert page.locator("html").get_attribute("lang") == "lv"
    # No vocative built from the raw name: the greeting is "Labdien!", the name is in the header.
    assert page.locator("h1").inner_text() == "Labdien!"
    assert "Jānis Ozoliņš" in page.locator(".site-header").inner_text()
    assert page.console_errors == []
