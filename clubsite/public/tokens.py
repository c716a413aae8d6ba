"""Signed, expiring, single-use links for mails: confirm a subscription, open "My data",
confirm a new email address, add the purposes an existing member asked for at sign-up.

The link is signed with the app's secret key and a salt per kind, so a link of one kind never
works as another. It carries the member's public id, a random link id and the member's link
generation; once redeemed, a hash of the link id is stored (UsedToken) and the link is refused
from then on. Revoking a member's links (revoke_links, on an address change) moves the
generation on, so every link mailed before, to whichever address, stops working at once.
A new-address link also carries that address, and an add-purpose link the purposes asked for,
each encrypted with the data key ring (what someone wants is theirs, not the URL's).
"""

import base64
import hashlib
import secrets
from datetime import UTC, timedelta

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.crypto import CryptoError, decrypt_field, encrypt_field
from clubsite.privacy.models import Member
from clubsite.privacy.retention import retention_task
from clubsite.public.models import LinkGeneration, UsedToken

# How long each kind of link works.
LIFETIMES = {
    "confirm": timedelta(days=7),  # as long as an unconfirmed sign-up is kept
    "access": timedelta(minutes=30),  # opens a "My data" session
    "reverify": timedelta(days=14),  # the yearly "are your details still right?" mail
    "email": timedelta(hours=24),  # confirms a new email address typed on "My data"
    "purpose": timedelta(days=7),  # adds purposes asked for at sign-up (as long as "confirm")
}
MAX_TOKEN_LENGTH = 400
# A new-address link carries the (encrypted) address: up to 254 characters of it.
MAX_LENGTHS = {"email": 1200, "purpose": 1200}
# Where the encrypted new address (or purposes) is bound to (the AES-GCM associated data).
SEALED_TABLE, SEALED_COLUMN = "link", "new_email"
SEALED_COLUMNS = {"email": SEALED_COLUMN, "purpose": "purposes"}


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


def generation(member):
    """The member's current link generation (0 until their links were first revoked)."""
    if member.id is None:
        return 0
    query = select(LinkGeneration.generation).where(LinkGeneration.member_id == member.id)
    return db.session.scalar(query) or 0


def revoke_links(member):
    """Make every link issued to the member so far stop working (inside the caller's write)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    statement = dialect.insert(LinkGeneration).values(
        member_id=member.id, generation=1, changed_at=now
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["member_id"],
            set_={"generation": LinkGeneration.generation + 1, "changed_at": now},
        )
    )


def _seal(text, public_id, link_id, column=SEALED_COLUMN):
    blob = encrypt_field(
        current_app.config["KEY_RING"],
        text,
        table=SEALED_TABLE,
        column=column,
        row_id=f"{public_id}:{link_id}",
    )
    return base64.urlsafe_b64encode(blob).decode("ascii").rstrip("=")


def issue(kind, member, *, issued_at=None, address=None, purposes=None):
    """A new link token of this kind for the member (issued_at only to test expiry).

    An "email" link needs the new address, a "purpose" link the purpose ids; each carries
    them encrypted.
    """
    if kind not in LIFETIMES:
        raise ValueError(f"unknown link kind {kind!r}")
    if (kind == "email") != (address is not None):
        raise ValueError("an address goes into the links of kind 'email', and only there")
    if (kind == "purpose") != bool(purposes):
        raise ValueError("purposes go into the links of kind 'purpose', and only there")
    link_id = secrets.token_urlsafe(16)
    payload = {"m": member.public_id, "j": link_id, "g": generation(member)}
    if address is not None:
        payload["a"] = _seal(address, member.public_id, link_id)
    if purposes:
        payload["a"] = _seal(",".join(purposes), member.public_id, link_id, "purposes")
    return _serializer(kind, issued_at).dumps(payload)


def _used_hash(kind, link_id):
    return hashlib.sha256(f"{kind}:{link_id}".encode()).hexdigest()


def _well_formed(payload):
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(key), str) and 0 < len(payload[key]) <= 64 for key in ("m", "j")
    ):
        return False
    stamp = payload.get("g", 0)  # links mailed before generations existed count as 0
    return isinstance(stamp, int) and not isinstance(stamp, bool) and 0 <= stamp < 2**31


def _load(kind, token, now):
    """The payload of a genuine, unexpired, unused link of the current generation."""
    limit = MAX_LENGTHS.get(kind, MAX_TOKEN_LENGTH)
    if kind not in LIFETIMES or not token or len(token) > limit:
        raise TokenError("invalid")
    try:
        payload, stamp = _serializer(kind).loads(token, return_timestamp=True)
    except BadSignature:
        raise TokenError("invalid") from None
    if not _well_formed(payload):
        raise TokenError("invalid")
    issued = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if (now or utcnow()) - issued > LIFETIMES[kind]:
        raise TokenError("expired")
    current = db.session.execute(
        select(Member.id, LinkGeneration.generation)
        .outerjoin(LinkGeneration, LinkGeneration.member_id == Member.id)
        .where(Member.public_id == payload["m"])
    ).first()
    if current is None:
        raise TokenError("invalid")  # the member is gone
    if (current.generation or 0) != payload.get("g", 0):
        raise TokenError("expired")  # revoked: the address changed since it was mailed
    if db.session.get(UsedToken, _used_hash(kind, payload["j"])) is not None:
        raise TokenError("used")
    return payload


def peek(kind, token, *, now=None):
    """The member public id of a valid, unexpired, unused, unrevoked link; TokenError otherwise."""
    return _load(kind, token, now)["m"]


def redeem(kind, token, *, now=None):
    """Check the link like peek() and mark it used in the caller's transaction.

    Call it inside a write block (clubsite.unit_of_work.write): a TokenError raised here rolls
    the block back.
    """
    payload = _load(kind, token, now)
    db.session.add(UsedToken(token_hash=_used_hash(kind, payload["j"]), used_at=now or utcnow()))
    try:
        db.session.flush()  # two clicks at once: the second hits the primary key
    except IntegrityError:
        raise TokenError("used") from None  # the caller's write block rolls back
    return payload["m"]


def new_address(token):
    """The new email address a valid "email" link carries (check it with peek or redeem first)."""
    return _unseal("email", token)


def purposes_of(token):
    """The purpose ids a valid "purpose" link carries (check it with peek or redeem first)."""
    return _unseal("purpose", token).split(",")


def _unseal(kind, token):
    payload = _serializer(kind).loads(token)
    sealed = payload.get("a")
    if not isinstance(sealed, str):
        raise TokenError("invalid")
    try:
        blob = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        return decrypt_field(
            current_app.config["KEY_RING"],
            blob,
            table=SEALED_TABLE,
            column=SEALED_COLUMNS[kind],
            row_id=f"{payload['m']}:{payload['j']}",
        )
    except (ValueError, CryptoError):
        raise TokenError("invalid") from None


@retention_task("used_links")
def prune_used_tokens(now, dry_run):
    """Forget redeemed link ids once every link that could carry them has expired anyway."""
    cutoff = now - max(LIFETIMES.values()) - timedelta(days=1)
    if dry_run:
        query = select(func.count()).select_from(UsedToken).where(UsedToken.used_at < cutoff)
        return db.session.scalar(query)
    return db.session.execute(delete(UsedToken).where(UsedToken.used_at < cutoff)).rowcount
