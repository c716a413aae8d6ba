"""One SMTP transaction that lets the previous message be recorded while it is under way.

The sender must record message k as sent before message k+1 can become final, so that a kill
loses track of at most one message. Waiting for that database write between messages would
leave the mail server idle; instead the write runs in the background during MAIL FROM, RCPT TO
and DATA of message k+1, and the end of its data (the only point where the server takes it) is
sent only after the write is done. The server's round trips hide the database's latency.
"""

import contextlib
import logging
import re
import smtplib
from email.utils import parseaddr

from clubsite.mail import MailError, open_transport

LEADING_DOT = re.compile(rb"(?m)^\.")
log = logging.getLogger(__name__)


def envelope_sender(mail_from):
    """The bare address for MAIL FROM, quoted once for every message."""
    return smtplib.quoteaddr(parseaddr(mail_from)[1])


def exchange(connection, sender, recipient, data, *, started, before_final):
    """Send `data` (CRLF-terminated bytes) to `recipient` on an open smtplib connection.

    `started()` runs as soon as MAIL FROM is on its way, `before_final()` just before the end
    of the data. Raises MailError (.temporary for 4xx, .code None when the line broke); after a
    refusal the transaction is reset, so the connection stays usable.
    """
    try:
        connection.putcmd("mail", f"FROM:{sender}")
    finally:
        started()
    try:
        code, _reply = connection.getreply()
        if code == 250:
            # The address is validated and checked for header use: no quoting needed.
            connection.putcmd("rcpt", f"TO:<{recipient}>")
            code, _reply = connection.getreply()
        if code in (250, 251):
            connection.putcmd("data")
            code, _reply = connection.getreply()
        if code == 354:
            before_final()
            # Dot-stuffing (RFC 5321 4.5.2), skipped when no line starts with a dot.
            stuffed = LEADING_DOT.sub(b"..", data) if b"\n." in data or data[:1] == b"." else data
            connection.send(stuffed + b".\r\n")
            code, _reply = connection.getreply()
            if code == 250:
                return
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"connection failed: {type(exc).__name__}") from exc
    if code == 421 or code < 400:
        raise MailError("server closing", temporary=True, code=421 if code == 421 else None)
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.rset()
    raise MailError("server refused", temporary=code < 500, code=code)


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
