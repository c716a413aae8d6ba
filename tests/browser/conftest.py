"""A live server in a thread and headless Debian Chromium driven by playwright."""

import os
import shutil
import threading
import warnings

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("CLUBSITE_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Skip browser tests loudly where Chromium is missing, unless CI requires them."""
    if shutil.which("chromium") or os.path.exists(CHROMIUM):
        return
    message = f"BROWSER TESTS SKIPPED: {CHROMIUM} not found (apt-get install chromium)"
    if REQUIRED:
        raise pytest.UsageError(message + " and CLUBSITE_REQUIRE_BROWSER=1")
    warnings.warn(message, stacklevel=1)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture
def live_server(app):
    """Serve the test app on 127.0.0.1 at a free port in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app.config["BASE_URL"]
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    """One Chromium per test process."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context (no cookies) with a desktop-sized page."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="lv-LV")
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium):
    """A fresh browser context the size of a phone."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="lv-LV"
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()
