"""A visitor on a phone signs up, confirms from the mail, and downloads their data (Chromium)."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support.mailbox import text_body

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+")


def _link(mailbox, count, part):
    message = mailbox.wait_for(count)[count - 1]["message"]
    return next(url for url in LINK.findall(text_body(message)) if part in url)


def _choice(page, name):
    return page.get_by_role("checkbox", name=re.compile("^" + name))


def _english(page, url):
    page.goto(url)
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")


def test_phone_sign_up_confirm_and_download(live_server, phone_page, mailbox):
    """In Latvian on a phone: access and news, confirmed from the mail, then the data downloads."""
    page = phone_page
    page.goto(live_server + "/pieteikties")
    assert page.locator("html").get_attribute("lang") == "lv"
    assert page.locator("#first_name").is_hidden()
    _choice(page, "Abonements").check()
    _choice(page, "Jaunumi un piedāvājumi").check()
    assert page.locator("#first_name").is_visible() and page.locator("#iban").is_visible()
    assert page.locator("#phone").is_hidden()  # neither choice needs a phone number
    assert page.get_by_text("Tikai tad, ja vēlaties norēķināties ar tiešo debetu.").is_visible()
    consent_box = page.locator("#consent_newsletter")
    assert consent_box.is_visible() and not consent_box.is_checked()
    age_box = page.locator("#age_confirmed")
    assert age_box.is_hidden()  # the script shows it once the consent box is ticked
    page.locator("#first_name").fill("Laura")
    page.locator("#last_name").fill("Bērziņa")
    page.locator("#email").fill("laura@example.lv")
    consent_box.check()
    age_box = page.get_by_role("checkbox", name="Apliecinu, ka man ir vismaz 13 gadu.")
    assert age_box.is_visible() and not age_box.is_checked()  # its own box, never pre-ticked
    age_box.check()
    page.get_by_role("button", name="Pieteikties").click()
    page.wait_for_url("**/pieteikties/paldies")

    confirm_mail = mailbox.wait_for(1)[0]["message"]
    assert "apstiprin" in text_body(confirm_mail)  # the mail is in Latvian too
    page.goto(_link(mailbox, 1, "/apstiprinat/"))
    page.get_by_role("button", name="Jā, apstiprināt").click()
    # After a click that loads a page, wait for it (expect): is_visible() reads at once.
    expect(page.get_by_role("heading", name="Pieteikšanās jaunumiem apstiprināta")).to_be_visible()

    page.get_by_role("link", name="Mani dati").last.click()
    page.get_by_label("Jūsu e-pasta adrese").fill("laura@example.lv")
    page.get_by_role("button", name="Nosūtīt man saiti").click()
    page.wait_for_url("**/mani-dati/saite-nosutita")
    page.goto(_link(mailbox, 2, "/mani-dati/atvert/"))
    page.get_by_role("button", name="Atvērt manus datus").click()
    expect(page.get_by_text("Maksu administrēšana").first).to_be_visible()
    assert page.get_by_text("Bērziņa").first.is_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Lejupielādēt (JSON)").click()
    export = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    assert export["data"]["email"] == "laura@example.lv"
    assert {p["purpose"] for p in export["purposes"]} == {"access", "fees", "newsletter"}
    assert page.console_errors == []


def test_invalid_personal_code_is_refused_in_latvian_and_typing_kept(live_server, phone_page):
    """The server explains the bad personal code in Latvian; every typed value is still there."""
    page = phone_page
    page.goto(live_server + "/pieteikties")
    _choice(page, "Abonements").check()
    page.locator("#first_name").fill("Laura")
    page.locator("#last_name").fill("Bērziņa")
    page.locator("#email").fill("laura@example.lv")
    page.locator("#personal_code").fill("010190-12340")
    page.get_by_role("button", name="Pieteikties").click()
    error = page.locator("#personal_code-error")
    error.wait_for()
    assert "Šis personas kods nav derīgs" in error.inner_text()
    assert page.locator("#first_name").input_value() == "Laura"
    assert page.locator("#last_name").input_value() == "Bērziņa"
    assert page.locator("#personal_code").input_value() == "010190-12340"
    assert _choice(page, "Abonements").is_checked()
    assert page.console_errors == []


def test_without_script_the_form_works_in_two_steps(live_server, chromium):
    """Choose, continue, fill in: the same sign-up with JavaScript off."""
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        _english(page, live_server + "/pieteikties")
        assert page.locator("#email").is_hidden()
        _choice(page, "News and offers").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#email")).to_be_visible()
        assert page.locator("#last_name").is_hidden()
        page.locator("#email").fill("nojs@example.lv")
        page.locator("#consent_newsletter").check()
        page.get_by_role("button", name="Sign up").click()
        # The consent needs the age box: the server says so and keeps what was typed.
        error = page.locator("#age_confirmed-error")
        assert "at least 13 years old" in error.inner_text()
        assert page.locator("#email").input_value() == "nojs@example.lv"
        assert page.locator("#consent_newsletter").is_checked()
        page.get_by_role("checkbox", name="I confirm that I am at least 13 years old.").check()
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url("**/pieteikties/paldies")
    finally:
        context.close()
