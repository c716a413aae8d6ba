"""Sender processes (the real CLI) against the test database: killed mid-send, and two at once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.newsletter.models import Delivery
from clubsite.privacy import fields

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).parent / "flask")


@pytest.fixture
def sender_env(app, mailbox, tmp_path):
    """Environment for a sender process: an instance folder pointing at this test's database."""

    def make(*, rate, batch, lease):
        # A folder per process: clubsite.config.ensure_instance probes the folder with a fixed
        # file name, which two processes starting at the same moment would race for.
        folder = tmp_path / f"sender-{len(list(tmp_path.glob('sender-*')))}"
        folder.mkdir()
        settings = {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "DATA_KEYS": app.config["DATA_KEYS"],
            "BACKUP_KEY": app.config["BACKUP_KEY"],
            "MAIL_URL": app.config["MAIL_URL"],
            "BASE_URL": app.config["BASE_URL"],
            "NEWSLETTER_RATE_PER_SECOND": rate,
            "NEWSLETTER_BATCH_SIZE": batch,
            "NEWSLETTER_LEASE_SECONDS": lease,
        }
        (folder / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
        return {**os.environ, "CLUBSITE_INSTANCE_PATH": str(folder)}

    return make


def _start(env, *args):
    db.session.commit()  # hold no transaction (SQLite: no lock) while the process works
    return subprocess.Popen(
        [FLASK, "--app", "wsgi", "newsletter", "send-queued", "--quiet", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_messages(mailbox, count, process, timeout=30):
    deadline = time.monotonic() + timeout
    while len(mailbox.messages) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the sender did not get going"
        time.sleep(0.01)


def _audience(subscriber, count):
    return [fields.read(subscriber(), ["email"])["email"] for _ in range(count)]


def test_killed_sender_resumes_without_mailing_anyone_twice(
    subscriber, queued, mailbox, sender_env
):
    """SIGKILL mid-campaign, restart: everyone gets the mail, at most one person twice."""
    addresses = _audience(subscriber, 40)
    campaign = queued()
    env = sender_env(rate=40, batch=10, lease=1)
    first = _start(env)
    _wait_for_messages(mailbox, 15, first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    delivered_before = len(mailbox.messages)
    assert delivered_before < 40, "the sender finished before it could be killed"

    second = _start(env, "--wait")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    received = Counter(rcpt for m in mailbox.messages for rcpt in m["to"])
    assert set(received) == set(addresses)
    assert sum(received.values()) - len(addresses) <= 1  # at most the message in flight
    db.session.expire_all()
    statuses = db.session.scalars(
        select(Delivery.status).where(Delivery.newsletter_id == campaign.id)
    )
    assert Counter(statuses) == {"sent": 40}


def test_two_senders_never_send_the_same_delivery(subscriber, queued, mailbox, sender_env):
    """Started together on one queue, two processes share it and nobody is mailed twice."""
    addresses = _audience(subscriber, 60)
    campaign = queued()
    # Due in a few seconds: both processes are up and waiting when the race starts.
    start = utcnow() + timedelta(seconds=6)
    db.session.execute(
        update(Delivery).where(Delivery.newsletter_id == campaign.id).values(next_attempt_at=start)
    )
    envs = [sender_env(rate=25, batch=5, lease=120) for _ in range(2)]
    processes = [_start(env, "--wait") for env in envs]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    received = Counter(rcpt for m in mailbox.messages for rcpt in m["to"])
    assert received == Counter(addresses)  # each exactly once
    sent = [int(out.split("sent ")[1].split(",")[0]) for out, _err in outputs]
    assert sum(sent) == 60 and min(sent) > 0, outputs
