"""Unsubscribe links: a delivery's random public id, signed with the app's secret key.

The token names one delivery (one recipient of one campaign), carries no address or member id,
and is 44 characters long, so the List-Unsubscribe header stays short and unfolded. It works for
LIFETIME after its newsletter went out (clubsite.newsletter.unsubscribe checks the delivery's
time): long enough for anyone reading old mail, not for ever.

Who finds an expired link can ask for a fresh one by typing the address (the link is mailed to
it, if it receives our news): a member link, signed with a timestamp, that works for
MEMBER_LINK_LIFETIME.
"""

from datetime import UTC, timedelta
from email.utils import parseaddr

from flask import current_app
from itsdangerous import BadSignature, Signer, TimestampSigner

SALT = "unsubscribe"
MEMBER_SALT = "unsubscribe.member"
MAX_TOKEN_LENGTH = 80
LIFETIME = timedelta(days=400)
MEMBER_LINK_LIFETIME = timedelta(days=7)


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


def make_member_token(member_public_id, *, issued_at=None):
    """A signed, timestamped token for the member (issued_at only to test expiry)."""
    signer = TimestampSigner(current_app.config["SECRET_KEY"], salt=MEMBER_SALT)
    if issued_at is not None:
        stamp = int(issued_at.timestamp())
        signer.get_timestamp = lambda: stamp
    return signer.sign(member_public_id).decode("ascii")


def read_member_token(token):
    """(member public id, issued at) of a genuine member token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    signer = TimestampSigner(current_app.config["SECRET_KEY"], salt=MEMBER_SALT)
    try:
        value, stamp = signer.unsign(token, return_timestamp=True)
        public_id = value.decode("ascii")
    except (BadSignature, UnicodeError):
        return None
    return public_id, stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def unsubscribe_url(token):
    """The public one-click unsubscribe URL for a token."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/u/{token}"


def unsubscribe_mailbox():
    """The address for mailto: unsubscribe requests (replies are handled by people, not code)."""
    configured = current_app.config.get("NEWSLETTER_UNSUBSCRIBE_MAILTO")
    return configured or parseaddr(current_app.config["MAIL_FROM"])[1]
