"""Campaign mail, rendered once per language and audience basis, then personalised cheaply.

Building a full EmailMessage per recipient costs more than the SMTP exchange itself. Instead the
campaign is rendered once into raw MIME bytes (both parts quoted-printable), with the greeting
and the unsubscribe link as marker lines; per recipient only the headers that differ and those
few lines are encoded and joined. Markers sit on lines of their own, so every joined piece ends
on a line boundary and the result is valid quoted-printable. Subject and From are encoded once
by the email package; the per-recipient headers (To, Message-ID, List-Unsubscribe) are written as
single lines, never folded or RFC 2047-encoded, which keeps one-click unsubscribe working. No
header takes a value that could carry a line break (header injection): the subject is refused
when it or its RFC 2047-decoded form (`=?UTF-8?Q?=0A?=`) holds a control character, and the
per-recipient values are plain ASCII without any.
"""

import email.quoprimime
import os
import secrets
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import quote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from markupsafe import escape

from clubsite.mail import MAIL_POLICY, header_safe
from clubsite.newsletter import content, frame, tokens

GREETING = "\x00greeting\x00"
UNSUBSCRIBE = "\x00unsubscribe\x00"
CRLF = b"\r\n"


class AddressError(ValueError):
    """A value this sender cannot put in a header (non-ASCII address, or a control character)."""


class UnsafeSubject(AddressError):
    """A subject that holds, or decodes to, a line break or another control character."""


def _header(name, value):
    """One header line, encoded by the email package (RFC 2047 where needed)."""
    name, parsed = MAIL_POLICY.header_store_parse(name, header_safe(value))
    return MAIL_POLICY.fold_binary(name, parsed)


def _qp(text):
    """Quoted-printable of UTF-8 text, CRLF line ends, lines of at most 76 characters."""
    latin = text.encode("utf-8").decode("latin-1")
    return email.quoprimime.body_encode(latin, maxlinelen=76, eol="\r\n").encode("ascii")


def _qp_line(text):
    """One line as quoted-printable; plain short ASCII lines (links, most names) are as they are."""
    if len(text) <= 76 and text.isascii() and "=" not in text and text[-1:] not in (" ", "\t"):
        return text.encode("ascii") + CRLF
    return _qp(text + "\n")


_date_cache = [0, b""]


def _date_header():
    """The Date header, formatted once per second (the format is surprisingly costly)."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, b"Date: " + formatdate(now, usegmt=True).encode("ascii") + CRLF]
    return _date_cache[1]


def _segments(rendered):
    """Split rendered text into encoded static runs of lines and the marker names between them."""
    parts, run = [], []
    for line in rendered.splitlines():
        if line.strip() in (GREETING, UNSUBSCRIBE):
            if run:
                parts.append(_qp("\n".join(run) + "\n"))
                run = []
            parts.append(line.strip())
        else:
            run.append(line)
    if run:
        parts.append(_qp("\n".join(run) + "\n"))
    return parts


@dataclass
class PreparedMail:
    """One campaign version (language, basis) as bytes with holes for the personal parts."""

    head: bytes
    text_parts: list
    html_parts: list
    boundary: bytes
    greeting_named: str
    greeting_plain: str
    domain: str
    mailto: str
    unsubscribe_base: str
    greetings: dict = field(default_factory=dict)

    def _greeting(self, first_name):
        """The encoded greeting lines (text, html) for a name; names repeat, so they are kept."""
        name = " ".join((first_name or "").split())
        lines = self.greetings.get(name)
        if lines is None:
            greeting = self.greeting_named % {"name": name} if name else self.greeting_plain
            lines = (_qp_line(greeting), _qp_line(str(escape(greeting))))
            if len(self.greetings) > 10_000:
                self.greetings.clear()
            self.greetings[name] = lines
        return lines

    def personalise(self, to, first_name, delivery_public_id, sign=None):
        """The complete message bytes for one recipient."""
        if not to.isascii() or not to.isprintable() or "<" in to or ">" in to or "=?" in to:
            raise AddressError("address cannot be used in a header")
        token = tokens.make_token(delivery_public_id, sign)
        url = self.unsubscribe_base + token
        text_greeting, html_greeting = self._greeting(first_name)
        text_values = {GREETING: text_greeting, UNSUBSCRIBE: _qp_line(url)}
        # The template puts `<a href=` and `>label</a>` on the lines around this one.
        html_values = {GREETING: html_greeting, UNSUBSCRIBE: _qp_line(f'"{url}"')}
        mid = f"<{os.urandom(12).hex()}@{self.domain}>"
        unsubscribe = f"<{url}>, <mailto:{self.mailto}?subject=unsubscribe%20{quote(token)}>"
        boundary = b"--" + self.boundary
        return b"".join(
            [
                b"To: " + to.encode("ascii") + CRLF,
                _date_header(),
                b"Message-ID: " + mid.encode("ascii") + CRLF,
                b"List-Unsubscribe: " + unsubscribe.encode("ascii") + CRLF,
                self.head,
                boundary + CRLF,
                b'Content-Type: text/plain; charset="utf-8"\r\n',
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                *_fill(self.text_parts, text_values),
                CRLF + boundary + CRLF,
                b'Content-Type: text/html; charset="utf-8"\r\n',
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                *_fill(self.html_parts, html_values),
                CRLF + boundary + b"--" + CRLF,
            ]
        )


def _fill(parts, values):
    """The encoded parts with each marker replaced by its encoded line."""
    return [part if isinstance(part, bytes) else values[part] for part in parts]


def prepare(newsletter, language, basis, *, subject_prefix=""):
    """Render a campaign version once: headers and both bodies (inside the club's header and
    footer, clubsite.newsletter.frame), ready to personalise."""
    config = current_app.config
    subject = subject_prefix + newsletter.subject(language)
    if not content.subject_is_safe(subject):  # a draft saved before subjects were checked
        raise UnsafeSubject("subject cannot be used in a header")
    body = newsletter.body(language)
    boundary = "=_" + secrets.token_hex(16)  # "=_" never occurs in quoted-printable text
    with force_locale(language):
        context = {
            "subject": subject,
            "language": language,
            "basis": basis,
            "greeting_marker": GREETING,
            "unsubscribe_marker": UNSUBSCRIBE,
            **frame.rendered(frame.of(newsletter), language),
        }
        text = render_template("email/newsletter.txt", body_text=content.to_text(body), **context)
        html = render_template("email/newsletter.html", body_html=content.to_html(body), **context)
        # The mail-greeting context, as in every other mail: Latvian greets without the name
        # ("Labdien!"), since its vocative ("Jāni") cannot be built from a raw first name.
        greeting_named = pgettext("mail greeting", "Hello, %(name)s!", name="%(name)s")
        greeting_plain = _("Hello!")
    head = b"".join(
        [
            _header("From", config["MAIL_FROM"]),
            _header("Subject", subject),
            b"MIME-Version: 1.0\r\n",
            b"Content-Language: " + language.encode("ascii") + CRLF,
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            b'Content-Type: multipart/alternative; boundary="' + boundary.encode() + b'"\r\n',
            CRLF,
        ]
    )
    return PreparedMail(
        head=head,
        text_parts=_segments(text),
        html_parts=_segments(html),
        boundary=boundary.encode("ascii"),
        greeting_named=greeting_named,
        greeting_plain=greeting_plain,
        domain=(urlsplit(config["BASE_URL"]).hostname or "localhost").strip("[]"),
        mailto=tokens.unsubscribe_mailbox(),
        unsubscribe_base=tokens.unsubscribe_url(""),
    )
