"""Fixtures for the outbox: mail written into it, a mail server that is down until started."""

import uuid

import pytest

from clubsite import outbox
from clubsite.extensions import db
from clubsite.mail import build_message
from tests.jobs.processes import RunnerProcesses
from tests.support.mailbox import Mailbox


@pytest.fixture
def outbox_app(app):
    """The app with the outbox job registered."""
    outbox.init_app(app)
    return app


@pytest.fixture
def write_mail(outbox_app):
    """Put a mail into the outbox and commit, as an action would; returns (row, address)."""

    def write(address=None, *, kind="test_mail", subject="Sveiki", text="Labdien! Ā ē ī ū š ž"):
        address = address or f"m-{uuid.uuid4().hex[:8]}@example.lv"
        row = outbox.enqueue(build_message(address, subject, text), kind=kind)
        db.session.commit()
        return row, address

    return write


@pytest.fixture
def down_mailbox(app):
    """A real SMTP server whose port the app sends to, not started yet (the server is down)."""
    box = Mailbox()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{box.port}"
    box.started = False
    yield box
    if box.started:
        box.stop()


def start(box):
    """Bring a down_mailbox up."""
    box.start()
    box.started = True


@pytest.fixture
def runner_processes(app, tmp_path):
    """Start job runner processes; those still running are killed after the test."""
    processes = RunnerProcesses(app, tmp_path)
    yield processes
    processes.close()
