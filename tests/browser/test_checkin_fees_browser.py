"""Reception checks a member in by card; the accountant records a payment and the member's
access turns green, at the door too."""

import pytest

from clubsite.extensions import db
from clubsite.i18n import today_local
from tests.conftest import STAFF_PASSWORD
from tests.fees.helpers import card_of, make_member, make_overdue, make_plan, sell

pytestmark = pytest.mark.browser


def _login(page, base, email):
    page.goto(base + "/office/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/office/")


def _scan(page, card):
    """Type the card like a USB reader does (digits, then Enter) and wait for the answer."""
    field = page.locator("input[name=card]")
    assert field.evaluate("el => el === document.activeElement")
    page.keyboard.type(card)
    page.keyboard.press("Enter")
    result = page.locator("#checkin-result .checkin-result")
    result.wait_for()
    return result


def test_reception_checks_in_and_payment_turns_access_green(
    live_server, page, chromium, make_staff, app
):
    """Denied for an unpaid invoice, paid by the accountant, then allowed at the door."""
    reception = make_staff("reception")
    accountant = make_staff("accountant")
    member = make_member()
    _, invoice = sell(member, make_plan(), today=today_local())
    make_overdue(invoice, app.config["ACCESS_GRACE_DAYS"] + 2)
    card, member_id, number = card_of(member), member.public_id, invoice.number
    invoice_id, reception_email = invoice.public_id, reception.email
    accountant_email = accountant.email
    # Under SQLite a transaction left open here would hold the write lock the server needs.
    db.session.commit()
    db.session.close()

    _login(page, live_server, reception_email)
    page.goto(live_server + "/office/checkin")
    result = _scan(page, card)
    assert result.get_attribute("data-result") == "denied"
    assert "Jānis" not in result.inner_text()
    assert page.locator("input[name=card]").input_value() == ""
    assert page.locator("input[name=card]").evaluate("el => el === document.activeElement")

    context = chromium.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    desk = context.new_page()
    _login(desk, live_server, accountant_email)
    desk.goto(f"{live_server}/office/fees/members/{member_id}")
    status = desk.locator("#access-status")
    assert status.get_attribute("data-result") == "denied"
    desk.click(f"text={number}")
    desk.fill("input[name=amount]", "35,00")
    desk.select_option("select[name=method]", "card")
    desk.click("main form.form button[type=submit]")
    desk.wait_for_url(f"**/office/fees/invoices/{invoice_id}")
    desk.goto(f"{live_server}/office/fees/members/{member_id}")
    assert desk.locator("#access-status").get_attribute("data-result") == "allowed"
    color = desk.locator("#access-status").evaluate("el => getComputedStyle(el).borderColor")
    assert color == "rgb(26, 115, 66)"  # --success: green
    context.close()

    _scan(page, card)
    allowed = page.locator('#checkin-result .checkin-result[data-result="allowed"]')
    allowed.wait_for()
    assert "Jānis" in allowed.inner_text()
    assert page.console_errors == []
