"""The check-in page's QR reader: local scripts only (jsQR from npm, served from static), the
camera allowed on this page and nowhere else, and the typed card field as before."""

import re

import pytest

from tests.fees.helpers import english

URL = "/office/checkin"


@pytest.fixture
def reception(client_for):
    """A logged-in, trained reception client seeing English."""
    return english(client_for("reception"))


def test_checkin_page_may_use_the_camera_and_other_pages_may_not(reception, client):
    """Permissions-Policy: camera=(self) on the check-in page only; CSP unchanged."""
    headers = reception.get(URL).headers
    assert "camera=(self)" in headers["Permissions-Policy"]
    assert "microphone=()" in headers["Permissions-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe" not in headers["Content-Security-Policy"]
    for url in ("/office/", "/office/members"):
        assert "camera=()" in reception.get(url).headers["Permissions-Policy"], url
    for url in ("/", "/mani-dati"):
        assert "camera=()" in client.get(url).headers["Permissions-Policy"], url


def test_scanner_scripts_are_local_files_after_the_form(reception):
    """jsQR and checkin_scan.js from /static, no inline script, the scanner hidden until its
    script finds a decoder; the card field keeps its autofocus for readers that type."""
    page = reception.get(URL).get_data(as_text=True)
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert "/static/vendor/jsQR.js" in sources and "/static/js/checkin_scan.js" in sources
    assert sources.index("/static/vendor/jsQR.js") < sources.index("/static/js/checkin_scan.js")
    assert all(src.startswith("/static/") for src in sources)
    assert "<script>" not in page and "style=" not in page
    assert re.search(r'<section class="checkin-scan[^"]*" id="checkin-scan"[^>]*hidden>', page)
    assert re.search(r'<input type="file" id="scan-file" accept="image/\*"', page)
    assert re.search(r'<input[^>]*autofocus[^>]*name="card"', page)


def test_the_qr_decoder_is_served_locally(client):
    """The vendored jsQR (make assets copies it from node_modules) is served from static."""
    response = client.get("/static/vendor/jsQR.js")
    assert response.status_code == 200
    assert b"jsQR" in response.data[:2000]
    response.close()
