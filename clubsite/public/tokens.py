"""Signed, expiring, single-use links for mails: confirm a subscription, open "My data".

The link is signed with the app's secret key and a salt per kind, so a link of one kind never
works as another. It carries the member's public id and a random link id; once redeemed, a hash
of the link id is stored (UsedToken) and the link is refused from then on.
"""

import hashlib
import secrets
from datetime import UTC, timedelta

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.retention import retention_task
from clubsite.public.models import UsedToken

# How long each kind of link works.
LIFETIMES = {
    "confirm": timedelta(days=7),  # as long as an unconfirmed sign-up is kept
    "access": timedelta(minutes=30),  # opens a "My data" session
    "reverify": timedelta(days=14),  # the yearly "are your details still right?" mail
}
MAX_TOKEN_LENGTH = 400


class TokenError(Exception):
    """A link that does not work; .reason is "invalid", "expired" or "used"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _serializer(kind, issued_at=None):
    signer = TimestampSigner
    if issued_at is not None:
        stamp = int(issued_at.timestamp())
        signer = type("BackdatedSigner", (TimestampSigner,), {"get_timestamp": lambda _s: stamp})
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"clubsite.public.{kind}", signer=signer
    )


def issue(kind, member, *, issued_at=None):
    """A new link token of this kind for the member (issued_at only to test expiry)."""
    if kind not in LIFETIMES:
        raise ValueError(f"unknown link kind {kind!r}")
    payload = {"m": member.public_id, "j": secrets.token_urlsafe(16)}
    return _serializer(kind, issued_at).dumps(payload)


def _used_hash(kind, link_id):
    return hashlib.sha256(f"{kind}:{link_id}".encode()).hexdigest()


def peek(kind, token, *, now=None):
    """The member public id of a valid, unexpired, unused link; TokenError otherwise."""
    if kind not in LIFETIMES or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("invalid")
    try:
        payload, stamp = _serializer(kind).loads(token, return_timestamp=True)
    except BadSignature:
        raise TokenError("invalid") from None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(key), str) and 0 < len(payload[key]) <= 64 for key in ("m", "j")
    ):
        raise TokenError("invalid")
    issued = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if (now or utcnow()) - issued > LIFETIMES[kind]:
        raise TokenError("expired")
    if db.session.get(UsedToken, _used_hash(kind, payload["j"])) is not None:
        raise TokenError("used")
    return payload["m"]


def redeem(kind, token, *, now=None):
    """Check the link like peek() and mark it used in the caller's transaction.

    Call it inside a write block (clubsite.unit_of_work.write): a TokenError raised here rolls
    the block back.
    """
    public_id = peek(kind, token, now=now)
    payload = _serializer(kind).loads(token)
    db.session.add(UsedToken(token_hash=_used_hash(kind, payload["j"]), used_at=now or utcnow()))
    try:
        db.session.flush()  # two clicks at once: the second hits the primary key
    except IntegrityError:
        raise TokenError("used") from None  # the caller's write block rolls back
    return public_id


@retention_task("used_links")
def prune_used_tokens(now, dry_run):
    """Forget redeemed link ids once every link that could carry them has expired anyway."""
    cutoff = now - max(LIFETIMES.values()) - timedelta(days=1)
    if dry_run:
        query = select(func.count()).select_from(UsedToken).where(UsedToken.used_at < cutoff)
        return db.session.scalar(query)
    return db.session.execute(delete(UsedToken).where(UsedToken.used_at < cutoff)).rowcount
