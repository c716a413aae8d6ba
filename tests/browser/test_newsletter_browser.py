"""Marketing composes a newsletter, previews it live, sends it and watches the bar reach 100%."""

import threading

import pytest
from playwright.sync_api import expect

from clubsite.extensions import db
from clubsite.jobs.loop import Runner
from clubsite.members import service as members
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def newsletter_runner(app):
    """The job runner's loop with the newsletter job, in a thread (as `flask jobs run` does)."""
    app.config.update(NEWSLETTER_EVERY_SECONDS=0.2, JOBS_POLL_SECONDS=0.2)
    runner = Runner(app, names=["newsletter"])
    thread = threading.Thread(target=runner.run)
    thread.start()
    yield runner
    runner.stop.set()
    thread.join()


def test_compose_preview_send_and_watch_progress(
    app, live_server, page, mailbox, make_staff, newsletter_runner
):
    """The job runner sends while the page's bar follows it."""
    app.config.update(NEWSLETTER_RATE_PER_SECOND=2, NEWSLETTER_BATCH_SIZE=2)
    for number in range(4):
        members.enrol_member(
            {"email": f"reader{number}@example.lv", "first_name": "Ieva"},
            ["newsletter"],
            source="staff",
            actor="member",  # only the person confirms a consent (double opt-in)
            consent_confirmed=True,
        )
    email = make_staff("marketing").email
    db.session.commit()  # and hold no transaction: the app's threads need the write lock

    page.goto(live_server + "/office/login")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/office/")

    page.goto(live_server + "/office/newsletter/")
    page.get_by_role("link", name="New newsletter").click()
    page.get_by_label("Subject in Latvian").fill("Ziemas jaunumi")
    page.get_by_label("Text in Latvian").fill("Sveiki! **Ziema** ir klāt.")
    preview = page.locator(".newsletter-preview strong")
    preview.wait_for()
    assert preview.inner_text() == "Ziema"
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("If you send it now, 4 members receive this newsletter.").wait_for()

    page.get_by_role("button", name="Send now").click()
    bar = page.locator("progress.progress")
    assert int(bar.get_attribute("value")) < 100  # at 2 a second, 4 mails take over a second
    expect(bar).to_have_attribute("value", "100", timeout=20_000)
    expect(page.locator("[data-progress-text]")).to_have_text(
        "100% done: 4 sent, 0 failed, 0 remaining"
    )
    expect(page.locator("[data-status-badge]")).to_have_text("Sent")
    assert sorted(m["to"][0] for m in mailbox.wait_for(4)) == [
        f"reader{n}@example.lv" for n in range(4)
    ]
    assert page.console_errors == []
