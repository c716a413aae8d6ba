"""The public side's mails: confirm a subscription, "you are already with us", "My data" links.

Messages are rendered inside the request (in the member's language) and handed to the mail
transport after the transaction committed, in the background: the answer a visitor gets then
takes the same time whether or not a mail goes out, so timing does not tell who is a member.
"""

import logging
import threading

from flask import current_app, url_for

from clubsite.mail import MailError, open_transport, render_mail
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.purposes import PURPOSES
from clubsite.public import tokens

log = logging.getLogger(__name__)


def link(endpoint, **values):
    """An absolute link into the site, on the configured BASE_URL."""
    path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def _context(member):
    """Greeting name, address and the purposes, as every mail here uses them."""
    values = store.read(member, ["email", "first_name"])
    return values.get("email"), {
        "name": values.get("first_name", ""),
        "purposes": [PURPOSES[p.purpose].name for p in member.purposes],
        "club_name": current_app.config["CLUB_NAME"],
        "club_email": current_app.config["CLUB_EMAIL"],
        "my_data_url": link("public.my_data", lang=member.language),
    }


def _confirm_url(member):
    token = tokens.issue("confirm", member)
    return link("public.confirm", token=token, lang=member.language)


def access_url(member, kind="access"):
    """A fresh single-use link that opens the member's "My data" page."""
    endpoint = "public.my_data_reverify" if kind == "reverify" else "public.my_data_open"
    return link(endpoint, token=tokens.issue(kind, member), lang=member.language)


def signup_mails(member, created, *, by_staff=False):
    """The messages a sign-up sends: a confirmation, a welcome, or "you are already with us"."""
    to, context = _context(member)
    if not to:
        return []  # nobody to write to; the page said "if you gave an email address"
    pending = consent.state(member, "newsletter") == "pending"
    confirm_url = _confirm_url(member) if pending else None
    if not created:
        template, extra = "signup_existing", {"access_url": access_url(member)}
    elif pending:
        template, extra = "signup_confirm", {"by_staff": by_staff}
    elif by_staff:
        return []  # the desk gave the person the privacy notice on paper
    else:
        template, extra = "signup_welcome", {}
    message = render_mail(
        template, to=to, language=member.language, confirm_url=confirm_url, **context, **extra
    )
    return [message]


def access_link_mail(member):
    """The "open My data" mail with a 30-minute single-use link."""
    to, context = _context(member)
    if not to:
        return []
    return [
        render_mail(
            "my_data_link", to=to, language=member.language, url=access_url(member), **context
        )
    ]


def reverify_mail(member):
    """The yearly "are your details still right?" mail."""
    to, context = _context(member)
    url = access_url(member, kind="reverify")
    return render_mail("reverify", to=to, language=member.language, url=url, **context)


def deliver(messages):
    """Send rendered messages after the response, in a background thread."""
    if not messages:
        return
    app = current_app._get_current_object()
    if not app.config.get("PUBLIC_MAIL_IN_BACKGROUND", True):
        _send(app, messages)
        return
    threading.Thread(target=_send, args=(app, list(messages)), daemon=True).start()


def _send(app, messages):
    with app.app_context():
        try:
            with open_transport() as transport:
                for message in messages:
                    transport.send(message)
        except MailError as exc:
            # No address or name in the log: only what went wrong.
            log.warning("public mail not sent: %s (code %s)", type(exc).__name__, exc.code)
