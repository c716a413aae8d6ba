"""Inviting a staff member: the account and its invitation mail are written together."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.outbox import send_due
from clubsite.outbox.models import OutboxMessage
from clubsite.staff.models import StaffUser
from tests.conftest import csrf_token
from tests.support.mailbox import Mailbox, text_body

INVITEE = "jana.ozola@klubs.lv"


@pytest.fixture
def later_mailbox(app):
    """A real SMTP server the app sends to, down until the test starts it."""
    box = Mailbox()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{box.port}"
    yield box
    if box.controller.loop.is_running():
        box.stop()


def _invite(admin):
    data = {"csrf_token": csrf_token(admin, "/office/staff"), "name": "Jana Ozola"}
    data |= {"email": INVITEE, "roles": ["reception"]}
    return admin.post("/office/staff", data=data)


def test_an_invitation_waits_out_a_mail_server_that_is_down(app, client_for, later_mailbox):
    """Server down: the account is made and the admin told; the mail arrives once it is up."""
    admin = client_for("admin")
    assert _invite(admin).status_code == 302
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == INVITEE)) is not None
    [waiting] = db.session.scalars(select(OutboxMessage)).all()
    assert waiting.kind == "staff_invitation" and waiting.expires_at is not None
    assert send_due()["retry"] == 1  # the server is down
    later_mailbox.start()
    assert send_due(utcnow() + timedelta(minutes=1))["sent"] == 1
    [message] = [m["message"] for m in later_mailbox.messages]
    assert message["To"] == INVITEE
    link = re.search(r"https?://[^/\s]+(/office/invite/\S+)", text_body(message)).group(1)
    assert admin.get(link).status_code == 200
