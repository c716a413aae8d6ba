"""Latvian first, English second, the choice remembered; Latvian conventions for numbers."""

from datetime import UTC, date, datetime

import pytest

from clubsite.i18n import format_date, format_datetime, format_money
from tests.conftest import csrf_token


def test_latvian_is_the_default(client):
    """A first visit is in Latvian."""
    body = client.get("/office/login").get_data(as_text=True)
    assert 'lang="lv"' in body and "Pieslēgties" in body


def test_language_switch_is_remembered(client):
    """Choosing English keeps English on the next pages, and back to Latvian."""
    token = csrf_token(client, "/office/login")
    response = client.post(
        "/lang", data={"lang": "en", "next": "/office/login", "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/office/login")
    body = client.get("/privatums").get_data(as_text=True)
    assert 'lang="en"' in body and "Privacy notice" in body
    client.post("/lang", data={"lang": "lv", "next": "/", "csrf_token": token})
    assert "Privātuma paziņojums" in client.get("/privatums").get_data(as_text=True)


def test_unknown_language_and_foreign_next_are_ignored(client):
    """Only known languages, only local redirects."""
    token = csrf_token(client, "/")
    response = client.post(
        "/lang", data={"lang": "xx", "next": "https://evil.example", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"
    assert 'lang="lv"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (1250, "12,50\u00a0€"),
        (0, "0,00\u00a0€"),
        (123456789, "1\u00a0234\u00a0567,89\u00a0€"),
        (-5, "-0,05\u00a0€"),
    ],
)
def test_money_in_latvian_format(app, cents, text):
    """Integer cents shown with a decimal comma and the euro sign after."""
    with app.test_request_context("/"):
        assert format_money(cents) == text


def test_dates_in_latvian_format_and_riga_time(app):
    """29.11.2026. and times in Europe/Riga."""
    with app.test_request_context("/"):
        assert format_date(date(2026, 11, 29)) == "29.11.2026."
        assert format_datetime(datetime(2026, 11, 29, 16, 30, tzinfo=UTC)) == "29.11.2026. 18:30"
