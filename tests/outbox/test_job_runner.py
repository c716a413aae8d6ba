"""The outbox in a real `flask jobs run` process: mail written while the server is down."""

import time
from collections import Counter

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.outbox.models import OutboxMessage
from tests.jobs.processes import wait_until
from tests.outbox.conftest import start


def test_the_runner_delivers_every_mail_once_after_the_server_comes_up(
    app, write_mail, down_mailbox, runner_processes
):
    """Nothing typed: the runner keeps retrying, and each mail arrives exactly once."""
    addresses = [write_mail()[1] for _ in range(4)]
    process = runner_processes.start(
        "--job", "outbox", OUTBOX_EVERY_SECONDS=0.2, OUTBOX_RETRY_BASE_SECONDS=0.5
    )

    def tried_twice():
        db.session.expire_all()
        attempts = db.session.scalars(select(OutboxMessage.attempts)).all()
        db.session.commit()
        return min(attempts) >= 2

    wait_until(tried_twice, processes=[process], what="retries while the server is down")
    start(down_mailbox)
    wait_until(lambda: len(down_mailbox.messages) >= 4, processes=[process], what="delivery")
    time.sleep(1)  # time for a second copy to arrive, if one were sent
    code, _out, err = runner_processes.stop(process)
    assert code == 0, err
    assert Counter(r for m in down_mailbox.messages for r in m["to"]) == Counter(addresses)
    db.session.expire_all()
    assert set(db.session.scalars(select(OutboxMessage.status))) == {"sent"}
