"""The privacy notice covers every purpose and is linked from every form; cookies are explained."""

import pytest
from flask_babel import force_locale

from clubsite.privacy.purposes import LEGAL_BASES, PURPOSES
from tests.public.helpers import english


def test_privacy_notice_lists_every_purpose_basis_and_the_authority(client):
    """GDPR Art. 13: purposes, bases, retention, rights, the supervisory authority, My data."""
    english(client)
    page = client.get("/privatums").get_data(as_text=True)
    with force_locale("en"):
        for purpose in PURPOSES.values():
            assert str(purpose.name) in page and str(purpose.retention) in page
            for basis in purpose.legal_bases:
                assert str(LEGAL_BASES[basis]) in page
    assert "Data State Inspectorate" in page
    assert 'href="/mani-dati"' in page
    assert "automated" in page


@pytest.mark.parametrize("url", ["/pieteikties", "/mani-dati"])
def test_every_public_form_links_the_privacy_notice(client, url):
    """The notice is one tap away from each form."""
    page = client.get(url).get_data(as_text=True)
    assert page.count('href="/privatums"') >= 2  # in the form's text and in the footer


def test_cookie_notice_names_only_the_session_cookie(client):
    """Strictly necessary cookie only, including the My data session."""
    english(client)
    page = client.get("/cookies").get_data(as_text=True)
    assert "one cookie" in page and "30 minutes" in page and "no tracking" in page
    response = client.get("/pieteikties")
    cookies = response.headers.getlist("Set-Cookie")
    assert all(c.startswith("clubsite_session=") for c in cookies)
