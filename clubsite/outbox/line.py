"""One SMTP transaction that lets the sender's bookkeeping run while the server answers.

The sender must record message k as sent before message k+1 can become final, so that a
sender killed mid-batch has at most one message the server took but the outbox does not know
of. Waiting for that database write between messages would leave the mail server idle; instead
the work is spread over the server's answers to message k+1: the areas' last checks of the
recipient (clubsite.outbox.refusals) run once MAIL FROM is on its way (`check`), the record of
message k once RCPT TO is (`record`), and the end of the data (the only point where the server
takes a message) is sent only after both. The newsletter's sender works the same way
(clubsite.newsletter.smtp).
"""

import contextlib
import re
import smtplib
from email.utils import parseaddr

from clubsite.mail import MailError

LEADING_DOT = re.compile(rb"(?m)^\.")
# An address that needs no quoting (no spaces, brackets, quotes, controls): named as it is,
# without smtplib's full address parser (a fifth of the sender's own time per message).
PLAIN_ADDRESS = re.compile(
    r"[^\s<>()\[\]\\,;:\"@\x00-\x1f\x7f]+@[^\s<>()\[\]\\,;:\"@\x00-\x1f\x7f]+"
)


class Refused(Exception):
    """`started` stopped the message before any recipient was named: .code says why."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def envelope_sender(mail_from):
    """The bare address for MAIL FROM, quoted once for every message."""
    return smtplib.quoteaddr(parseaddr(mail_from)[1])


def rcpt_address(recipient):
    """The recipient as RCPT TO names it: <address>."""
    if PLAIN_ADDRESS.fullmatch(recipient):
        return f"<{recipient}>"
    return smtplib.quoteaddr(recipient)


def exchange(connection, sender, recipient, data, *, check, record):
    """Send `data` (MIME bytes) to `recipient` on an open smtplib connection.

    `check()` runs as soon as MAIL FROM is on its way and may return a code to stop the
    message (raises Refused, after resetting the transaction); `record()` runs as soon as RCPT
    TO is, and again just before the end of the data (it must do nothing the second time).
    Raises MailError (.temporary for 4xx, .code None when the line broke); after a refusal the
    transaction is reset, so the connection stays usable.
    """
    try:
        connection.putcmd("mail", f"FROM:{sender}")
    finally:
        stop = check()
    try:
        code, _reply = connection.getreply()
        if stop:
            if code == 250:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    connection.rset()
            raise Refused(stop)
        if code == 250:
            try:
                connection.putcmd("rcpt", f"TO:{rcpt_address(recipient)}")
            finally:
                record()
            code, _reply = connection.getreply()
        if code in (250, 251):
            connection.putcmd("data")
            code, _reply = connection.getreply()
        if code == 354:
            record()
            # Dot-stuffing (RFC 5321 4.5.2) as smtplib does it, skipped when no line starts
            # with a dot.
            if data[:1] == b"." or b"\n." in data:
                data = LEADING_DOT.sub(b"..", data)
            if data[-2:] != b"\r\n":
                data += b"\r\n"
            connection.send(data + b".\r\n")
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
