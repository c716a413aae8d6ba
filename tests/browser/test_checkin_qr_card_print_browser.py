"""The card printed from the back office: Chromium's print of the card page is one sheet of
85.6 × 54 mm holding the first name and a QR that zxing-cpp reads as the card number."""

import io

import pytest
import zxingcpp
from pypdf import PdfReader

from clubsite.extensions import db
from tests.conftest import STAFF_PASSWORD
from tests.fees.helpers import card_of, make_member

pytestmark = pytest.mark.browser

MM = 72 / 25.4  # PDF points per millimetre


def test_printed_card_is_credit_card_sized_with_a_readable_qr(live_server, page, make_staff):
    """Print to PDF as the browser prints: one card-sized page, the QR decodes, no last name."""
    reception = make_staff("reception")
    member = make_member()
    number, public_id, email = card_of(member), member.public_id, reception.email
    db.session.commit()
    db.session.close()

    page.goto(live_server + "/office/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(live_server + "/office/")
    page.goto(f"{live_server}/office/members/{public_id}")
    page.click(f'a[href="/office/members/{public_id}/card"]')
    page.wait_for_url(f"**/office/members/{public_id}/card")
    assert page.locator("[data-print]").is_visible()
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))

    assert len(pdf.pages) == 1
    sheet = pdf.pages[0]
    assert abs(float(sheet.mediabox.width) - 85.6 * MM) < 1.5
    assert abs(float(sheet.mediabox.height) - 54 * MM) < 1.5
    text = sheet.extract_text()
    assert "Jānis" in text and "Bērziņš" not in text
    assert number[:4] in text.replace(" ", "")
    images = [image.image for image in sheet.images]
    assert [c.text for image in images for c in zxingcpp.read_barcodes(image)] == [number]
    assert page.console_errors == []
