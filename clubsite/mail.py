"""Mail transport chosen by CLUBSITE_MAIL_URL, and rendering of text + HTML mail pairs.

Nothing in a request sends mail: a rendered message goes into the outbox (clubsite.outbox) with
the action, and the job runner hands it to the transport.

file:///path        writes one .eml file per message (the default: instance/outbox)
smtp://u:p@host:587 SMTP with STARTTLS (required unless the host is localhost)
smtps://u:p@host:465 SMTP over TLS
"""

import contextlib
import functools
import smtplib
import ssl
import unicodedata
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Long enough that no header we write gets folded or RFC 2047-encoded (List-Unsubscribe).
MAIL_POLICY = SMTP.clone(max_line_length=998)


class MailError(RuntimeError):
    """The message could not be handed over; .temporary tells whether to retry later."""

    def __init__(self, message, *, temporary=True, code=None):
        super().__init__(message)
        self.temporary = temporary
        self.code = code


# Line breaks Python's str.splitlines() also honours; the rest are the Unicode "Cc" characters.
_LINE_SEPARATORS = {"\x85", "\u2028", "\u2029"}


def has_control_characters(text):
    """True if text holds a line break, NUL, tab or another control character."""
    return any(unicodedata.category(ch) == "Cc" or ch in _LINE_SEPARATORS for ch in text)


def decoded_header(text):
    """What the email package makes of a header value: RFC 2047 encoded words decoded.

    The package decodes `=?UTF-8?Q?=0A?=` typed into a value and writes the decoded line break
    out as it is, so a value is checked in this form as well as in the form it was typed.
    """
    return str(MAIL_POLICY.header_factory("Subject", text))


def header_safe(value):
    """Refuse control characters (CR/LF above all) in a header value, also encoded (injection)."""
    text = str(value)
    if has_control_characters(text) or has_control_characters(decoded_header(text)):
        raise ValueError("line break or control character in a mail header")
    return text


def build_message(to, subject, text, html=None, *, headers=None, sender=None):
    """An EmailMessage with a text part and optional HTML alternative."""
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = header_safe(sender or current_app.config["MAIL_FROM"])
    msg["To"] = header_safe(to)
    msg["Subject"] = header_safe(subject)
    msg["Date"] = formatdate(localtime=False)
    domain = (urlsplit(current_app.config["BASE_URL"]).hostname or "localhost").strip("[]")
    msg["Message-ID"] = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    for name, value in (headers or {}).items():
        msg[name] = header_safe(value)
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def render_mail(template, *, to, language, **context):
    """Render email/<template>.txt and .html in the recipient's language into a message."""
    with force_locale(language):
        subject = render_template(f"email/{template}.subject.txt", **context).strip()
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", subject=subject, **context)
    return build_message(to, subject, text, html)


def link_context():
    """A request context on BASE_URL, so url_for makes the site's links in a mail rendered
    outside a request (the job runner's sender); inside a request, the request's own."""
    if has_request_context():
        return contextlib.nullcontext()
    base = current_app.config["BASE_URL"].rstrip("/")
    return current_app.test_request_context("/", base_url=base)


def site_link(endpoint, **values):
    """An absolute link into the site on BASE_URL, for a mail (made in a request or not)."""
    with link_context():
        path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def open_transport(url=None):
    """The transport for CLUBSITE_MAIL_URL (or the given URL), used as a context manager."""
    url = url or current_app.config["MAIL_URL"]
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileTransport(Path(unquote(parts.netloc + parts.path)))
    if parts.scheme in ("smtp", "smtps"):
        return SmtpTransport(parts)
    raise MailError(f"unsupported mail URL scheme {parts.scheme!r}", temporary=False)


class FileTransport:
    """Writes each message as an .eml file; for development and `make run`."""

    def __init__(self, folder):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message, recipients=None):
        """Write the message to a new file."""
        name = f"{uuid.uuid4().hex}.eml"
        data = message if isinstance(message, bytes) else message.as_bytes(policy=MAIL_POLICY)
        tmp = self.folder / (name + ".tmp")
        tmp.write_bytes(data)
        tmp.rename(self.folder / name)


@functools.cache
def _tls_context():
    """One TLS context per process: loading the CA store costs about 20 ms each time."""
    return ssl.create_default_context()


class SmtpTransport:
    """One SMTP connection, reused for every message sent through it."""

    def __init__(self, parts, timeout=30):
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 587)
        self.implicit_tls = parts.scheme == "smtps"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.connection = None

    def __enter__(self):
        context = _tls_context()
        try:
            if self.implicit_tls:
                self.connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                self.connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                self.connection.ehlo()
                if self.connection.has_extn("starttls"):
                    self.connection.starttls(context=context)
                    self.connection.ehlo()
                elif self.host not in LOCAL_HOSTS:
                    raise MailError(f"{self.host} does not offer STARTTLS", temporary=False)
            if self.username:
                self.connection.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            if isinstance(exc, MailError):
                raise
            raise MailError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return self

    def __exit__(self, *exc):
        self._close()
        return False

    def _close(self):
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.connection = None

    def send(self, message, recipients=None):
        """Send one message (an EmailMessage, or bytes with explicit recipients)."""
        try:
            if isinstance(message, bytes):
                sender = current_app.config["MAIL_FROM"]
                self.connection.sendmail(sender, recipients, message)
            else:
                self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise MailError("recipient refused", temporary=400 <= code < 500, code=code) from exc
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            raise MailError("server refused", temporary=400 <= code < 500, code=code) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"connection failed: {type(exc).__name__}") from exc
