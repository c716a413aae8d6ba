"""One SMTP transaction that lets the previous message be recorded while it is under way.

The sender must record message k as sent before message k+1 can become final, so that a kill
loses track of at most one message. Waiting for that database write between messages would
leave the mail server idle; instead the write runs in the background during MAIL FROM, RCPT TO
and DATA of message k+1, and the end of its data (the only point where the server takes it) is
sent only after the write is done. The server's round trips hide the database's latency.
"""

import logging

from clubsite.mail import open_transport
from clubsite.outbox import line
from clubsite.outbox.line import envelope_sender

__all__ = ["MailLine", "Pending", "envelope_sender", "exchange"]

log = logging.getLogger(__name__)


def exchange(connection, sender, recipient, data, *, started, before_final):
    """Send `data` (MIME bytes) to `recipient` on an open smtplib connection: the outbox's
    transaction (clubsite.outbox.line), with the newsletter's two hooks. `started()` runs as
    soon as MAIL FROM is on its way, `before_final()` before the end of the data (it records
    the previous message, and does nothing when called again). Raises MailError."""

    def check():
        started()
        return None  # the newsletter judged its recipients when it claimed them

    line.exchange(connection, sender, recipient, data, check=check, record=before_final)


class MailLine:
    """A mail connection (clubsite.mail transport) kept open across a sender's batches."""

    def __init__(self):
        self.transport = None

    def open(self):
        """The open transport, connecting first if needed (MailError if that fails)."""
        if self.transport is None:
            self.transport = open_transport().__enter__()
        return self.transport

    def close(self):
        """Say goodbye to the server (if connected)."""
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.__exit__(None, None, None)


class Pending:
    """The message the server took last and not yet recorded: never more than one.

    It is recorded while the server answers the next message's MAIL FROM (start), and in any
    case before the next message can become final (finish).
    """

    def __init__(self, store, clock):
        self.store = store
        self.clock = clock
        self.claim = None

    def hold(self, claim):
        """Remember a message the server has just taken."""
        assert self.claim is None
        self.claim = claim

    def finish(self):
        """Record the held message as sent."""
        claim, self.claim = self.claim, None
        if claim is not None and not self.store.mark_sent(claim.id, self.clock()):
            log.warning("newsletter: delivery %s was sent after its lease ran out", claim.public_id)

    start = finish
