"""The reception screen: one autofocused field, a big answer with the reason, names only when
allowed; the accountant's payment turns a denied member into an allowed one at once."""

import re

import pytest
from sqlalchemy import func, select

from clubsite.access.models import CheckIn
from clubsite.extensions import db
from clubsite.i18n import today_local
from tests.conftest import csrf_token
from tests.fees.helpers import card_of, english, make_member, make_overdue, make_plan, sell

URL = "/office/checkin"


@pytest.fixture
def reception(client_for):
    """A logged-in, trained reception client seeing English."""
    return english(client_for("reception"))


def _check(client, card):
    return client.post(URL, data={"card": card, "csrf_token": csrf_token(client, URL)}).get_data(
        as_text=True
    )


def _result(page):
    match = re.search(r'<div id="checkin-result".*?</div>\s*</div>', page, re.S)
    return match.group(0) if match else ""


def test_screen_has_one_autofocused_labelled_field_and_local_script(reception):
    """Ready for a USB reader: focus in the card field; the script is a local file."""
    page = reception.get(URL).get_data(as_text=True)
    assert re.search(r'<input[^>]*autofocus[^>]*name="card"', page)
    assert '<label for="card">Card number</label>' in page
    assert 'src="/static/js/checkin.js"' in page
    assert "<script>" not in page


def test_allowed_shows_big_answer_and_first_name_only(reception):
    """Access allowed with the first name; the last name is not shown."""
    member = make_member()
    sell(member, make_plan(), today=today_local())
    result = _result(_check(reception, card_of(member)))
    assert "checkin-allowed" in result and "Access allowed" in result
    assert "Jānis" in result and "Bērziņš" not in result


def test_unknown_card_is_denied_with_reason(reception):
    """Access denied, "Unknown card." underneath, logged."""
    result = _result(_check(reception, "770000000000"))
    assert "Access denied" in result and "Unknown card." in result
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_empty_input_is_not_an_attempt(reception):
    """Pressing Enter on an empty field asks for a card and logs nothing."""
    page = _check(reception, "")
    assert "Enter or scan a card number." in page
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_payment_by_the_accountant_lets_the_member_in_at_once(reception, client_for, app):
    """Denied for the unpaid invoice; the accountant records the payment; allowed."""
    member = make_member()
    _, invoice = sell(member, make_plan(), today=today_local())
    make_overdue(invoice, app.config["ACCESS_GRACE_DAYS"] + 1)
    result = _result(_check(reception, card_of(member)))
    assert "Access denied" in result and "Unpaid invoice" in result and "Jānis" not in result
    accountant = client_for("accountant")
    url = f"/office/fees/invoices/{invoice.public_id}"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', accountant.get(url).text)
    data = {
        "amount": "35",
        "method": "cash",
        "paid_on": today_local().isoformat(),
        "version": version.group(1),
        "csrf_token": csrf_token(accountant, url),
    }
    assert accountant.post(url, data=data).status_code == 302
    result = _result(_check(reception, card_of(member)))
    assert "Access allowed" in result and "Jānis" in result


def test_reception_home_panel_lists_recent_check_ins(reception):
    """Times and first names of recent check-ins on reception's home page."""
    member = make_member()
    sell(member, make_plan(), today=today_local())
    _check(reception, card_of(member))
    _check(reception, "123")
    page = reception.get("/office/").get_data(as_text=True)
    assert "Recent check-ins" in page
    assert "Jānis" in page
    assert page.count("badge-danger") >= 1


@pytest.mark.parametrize("role", ["accountant", "marketing", "staff"])
def test_other_roles_cannot_check_in(client_for, role):
    """Check-in is reception's and the admin's."""
    assert client_for(role).get(URL).status_code == 403
