"""A member shows the QR of "My data" on a phone at the desk and is let in: reception reads it
from a photo (the image fallback) and with the camera (Chromium's fake camera playing a video
of the phone's QR), decoded in the browser (BarcodeDetector where present, else jsQR)."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from clubsite.access.models import CheckIn
from clubsite.extensions import db
from clubsite.i18n import today_local
from clubsite.members.cards import card_qr, luhn_digit
from clubsite.public import tokens
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import STAFF_PASSWORD
from tests.fees.helpers import make_member, make_plan, sell

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def _login(page, base, email):
    page.goto(base + "/office/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/office/")


def _phone_qr(phone_page, base, token):
    """Open "My data" from the emailed link on the phone; a screenshot of the card's QR."""
    phone_page.goto(f"{base}/mani-dati/atvert/{token}")
    phone_page.click("main form button[type=submit]")
    phone_page.wait_for_url(base + "/mani-dati")
    qr = phone_page.locator("#my-card-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    return qr.screenshot()


def _y4m(png, path):
    """A few frames of 4:2:0 video with the picture centred on white, for the fake camera."""
    picture = Image.open(io.BytesIO(png)).convert("L")
    picture.thumbnail((HEIGHT - 80, HEIGHT - 80))
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(picture, ((WIDTH - picture.width) // 2, (HEIGHT - picture.height) // 2))
    chroma = bytes([128]) * (WIDTH * HEIGHT // 2)  # U and V planes, a quarter each: grey
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            video.write(b"FRAME\n" + frame.tobytes() + chroma)


def _decision(page):
    result = page.locator("#checkin-result .checkin-result")
    result.wait_for(timeout=15000)
    return result


def test_member_shows_the_phone_qr_and_is_let_in(
    live_server, page, phone_page, chromium, make_staff, tmp_path
):
    """Photo path with jsQR: allowed with the first name; an unknown card's QR: denied."""
    reception = make_staff("reception")
    member = make_member()
    sell(member, make_plan(), today=today_local())
    token, email = tokens.issue("access", member), reception.email
    db.session.commit()
    db.session.close()  # under SQLite an open transaction would hold the server's write lock

    png = _phone_qr(phone_page, live_server, token)

    # As in a browser without BarcodeDetector (Chromium on Linux has none anyway): jsQR reads.
    page.add_init_script("delete window.BarcodeDetector")
    _login(page, live_server, email)
    page.goto(live_server + "/office/checkin")
    scan = page.locator("#checkin-scan")
    scan.wait_for()
    assert scan.get_attribute("data-decoder") == "jsqr"
    page.set_input_files(
        "#scan-file", files=[{"name": "qr.png", "mimeType": "image/png", "buffer": png}]
    )
    result = _decision(page)
    assert result.get_attribute("data-result") == "allowed"
    assert "Jānis" in result.inner_text()
    assert page.locator("input[name=card]").input_value() == ""

    body = "77000000001"
    unknown = io.BytesIO()
    card_qr(body + luhn_digit(body)).save(unknown, kind="png", scale=6)
    page.set_input_files(
        "#scan-file",
        files=[{"name": "other.png", "mimeType": "image/png", "buffer": unknown.getvalue()}],
    )
    denied = page.locator('#checkin-result .checkin-result[data-result="denied"]')
    denied.wait_for(timeout=15000)
    assert "Jānis" not in denied.inner_text()
    assert page.console_errors == []
    assert db.session.scalar(select(func.count(CheckIn.id))) == 2


def test_camera_reads_the_phone_qr_and_the_member_is_let_in(
    live_server, phone_page, chromium, make_staff, tmp_path
):
    """Camera path: the fake camera films the phone's QR; one check-in, allowed, shown large."""
    reception = make_staff("reception")
    member = make_member()
    sell(member, make_plan(), today=today_local())
    token, email = tokens.issue("access", member), reception.email
    db.session.commit()
    db.session.close()

    video = tmp_path / "qr.y4m"
    _y4m(_phone_qr(phone_page, live_server, token), video)
    camera_browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(viewport={"width": 1024, "height": 768})
        context.grant_permissions(["camera"], origin=live_server)
        desk = context.new_page()
        errors = []
        desk.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        _login(desk, live_server, email)
        desk.goto(live_server + "/office/checkin")
        desk.locator("#scan-start").click()
        result = _decision(desk)
        assert result.get_attribute("data-result") == "allowed"
        assert "Jānis" in result.inner_text()
        size = result.locator(".checkin-status").evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)"
        )
        assert size >= 20  # the decision is large
        assert desk.locator("#checkin-scan").get_attribute("data-camera") == "on"
        desk.wait_for_timeout(1500)  # the QR stays in view: it is not checked again
        desk.locator("#scan-stop").click()
        assert desk.locator("#scan-video").is_hidden()
        assert errors == []
    finally:
        camera_browser.close()
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
