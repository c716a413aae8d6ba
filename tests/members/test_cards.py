"""The member card: a QR that a real decoder (zxing-cpp) reads as the card number and nothing
more, printed by staff whose role covers the access purpose, shown in "My data"; audited,
never cached."""

import base64
import io
import re
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

import clubsite
from clubsite.extensions import db
from clubsite.members.cards import card_qr_data_uri, group_card_number, is_card_number
from clubsite.privacy.audit import AuditEvent
from tests.fees.helpers import card_of, english, make_member
from tests.public.helpers import open_my_data

QR_IMG = re.compile(
    r'<img class="(?:member-card-qr|my-card-qr)"[^>]*src="data:image/png;base64,([^"]+)"'
)


def decode_qr_images(page):
    """The text of every QR code image in the page, read by zxing-cpp."""
    texts = []
    for encoded in QR_IMG.findall(page):
        image = Image.open(io.BytesIO(base64.b64decode(encoded)))
        texts.extend(code.text for code in zxingcpp.read_barcodes(image))
    return texts


def _audit(action, subject):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.subject_id == subject)
    ).all()


def test_qr_holds_the_bare_card_number():
    """Decoded, the QR is the 12 digits: no name, no address, no URL."""
    number = "771234567895"
    assert is_card_number(number)
    image = Image.open(io.BytesIO(base64.b64decode(card_qr_data_uri(number).split(",", 1)[1])))
    codes = zxingcpp.read_barcodes(image)
    assert [(c.text, c.format) for c in codes] == [(number, zxingcpp.BarcodeFormat.QRCode)]
    assert group_card_number(number) == "7712 3456 7895"


def test_reception_prints_a_card_whose_qr_decodes_to_the_card_number(client_for):
    """The print page: first name, grouped number and a QR reading as the number; no last
    name or email; credit-card size print styles; no-store; the read is audited."""
    member = make_member()
    number, public_id = card_of(member), member.public_id
    reception = english(client_for("reception"))
    detail = reception.get(f"/office/members/{public_id}").get_data(as_text=True)
    assert f'href="/office/members/{public_id}/card"' in detail
    response = reception.get(f"/office/members/{public_id}/card")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert decode_qr_images(page) == [number]
    assert "Jānis" in page and group_card_number(number) in page
    assert "Bērziņš" not in page and "janis.berzins" not in page and "Brīvības" not in page
    assert 'href="/static/css/cards.css"' in page and 'src="/static/js/print.js"' in page
    assert "<script>" not in page and "style=" not in page
    events = _audit("member.card", public_id)
    assert len(events) == 1 and events[0].actor_type == "staff"
    assert set(events[0].fields.split(",")) == {"first_name", "card_number"}


def test_card_print_styles_are_credit_card_sized():
    """The stylesheet puts the card alone on a sheet of 85.6 × 54 mm."""
    text = (Path(clubsite.__file__).parent / "static/css/cards.css").read_text(encoding="utf-8")
    assert "@page member-card { size: 85.6mm 54mm; margin: 0; }" in text
    assert re.search(r"\.member-card \{[^}]*width: 85\.6mm; height: 54mm;", text)


def test_the_accountant_may_not_print_a_card(client_for):
    """Fees staff see the member but not the card number: no button, and the page refuses."""
    member = make_member()
    accountant = english(client_for("accountant"))
    detail = accountant.get(f"/office/members/{member.public_id}").get_data(as_text=True)
    assert "/card" not in detail and card_of(member) not in detail
    assert accountant.get(f"/office/members/{member.public_id}/card").status_code == 403
    assert _audit("member.card", member.public_id) == []


def test_a_member_reception_cannot_see_is_not_found(client_for):
    """A fees-only member does not exist for reception, on the card page as on the member page."""
    member = make_member(purposes=("fees",))
    reception = client_for("reception")
    assert reception.get(f"/office/members/{member.public_id}").status_code == 404
    assert reception.get(f"/office/members/{member.public_id}/card").status_code == 404


def test_admin_gets_no_card_for_a_member_without_one(client_for):
    """Without the access purpose there is no card number, so no card."""
    member = make_member(purposes=("fees",))
    admin = client_for("admin")
    detail = admin.get(f"/office/members/{member.public_id}").get_data(as_text=True)
    assert f"/office/members/{member.public_id}/card" not in detail
    assert admin.get(f"/office/members/{member.public_id}/card").status_code == 403


@pytest.mark.parametrize("role", ["marketing", "staff"])
def test_roles_without_member_access_are_refused(client_for, role):
    """Marketing and staff without personal data never reach the card."""
    member = make_member()
    assert client_for(role).get(f"/office/members/{member.public_id}/card").status_code == 403


def test_my_data_shows_the_qr_and_prints_the_card(client):
    """The member's own QR on "My data" (for a phone) and the printable card, both reading as
    the card number; the print page is audited with the member as the actor; no-store."""
    member = make_member()
    number, public_id = card_of(member), member.public_id
    english(client)
    open_my_data(client, member)
    overview = client.get("/mani-dati")
    page = overview.get_data(as_text=True)
    assert overview.headers["Cache-Control"] == "no-store"
    assert 'id="my-card-qr"' in page and decode_qr_images(page) == [number]
    assert 'href="/mani-dati/karte"' in page
    card = client.get("/mani-dati/karte")
    assert card.status_code == 200 and card.headers["Cache-Control"] == "no-store"
    card_page = card.get_data(as_text=True)
    assert decode_qr_images(card_page) == [number]
    assert "Jānis" in card_page and "Bērziņš" not in card_page
    events = _audit("self_service.card", public_id)
    assert len(events) == 1 and events[0].actor_type == "member"


def test_my_data_without_a_card_shows_none(client):
    """A fees-only member has no card: no QR on the page, and the card page is not found."""
    member = make_member(purposes=("fees",))
    english(client)
    open_my_data(client, member)
    assert 'id="my-card-qr"' not in client.get("/mani-dati").get_data(as_text=True)
    assert client.get("/mani-dati/karte").status_code == 404


def test_card_page_needs_an_open_my_data_session(client):
    """Without a session, the card page sends the visitor to ask for a link."""
    response = client.get("/mani-dati/karte")
    assert response.status_code == 302 and response.headers["Location"].endswith("/mani-dati")
