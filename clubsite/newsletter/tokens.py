"""Unsubscribe links: a delivery's random public id, signed with the app's secret key.

The token names one delivery (one recipient of one campaign), carries no address or member id,
and is 44 characters long, so the List-Unsubscribe header stays short and unfolded.
"""

from email.utils import parseaddr

from flask import current_app
from itsdangerous import BadSignature, Signer

SALT = "unsubscribe"
MAX_TOKEN_LENGTH = 80


def signer():
    """The signer for unsubscribe tokens (HMAC over the SECRET_KEY, salt 'unsubscribe')."""
    return Signer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(delivery_public_id, sign=None):
    """The signed token for a delivery's public id."""
    return (sign or signer()).sign(delivery_public_id).decode("ascii")


def read_token(token):
    """The delivery public id inside a genuine token, or None for a forged or broken one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        return signer().unsign(token).decode("ascii")
    except (BadSignature, UnicodeError):
        return None


def unsubscribe_url(token):
    """The public one-click unsubscribe URL for a token."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/u/{token}"


def unsubscribe_mailbox():
    """The address for mailto: unsubscribe requests (replies are handled by people, not code)."""
    configured = current_app.config.get("NEWSLETTER_UNSUBSCRIBE_MAILTO")
    return configured or parseaddr(current_app.config["MAIL_FROM"])[1]
