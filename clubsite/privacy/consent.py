"""The consent ledger: append events, derive the current state, suppress withdrawn addresses."""

import hashlib

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.privacy import fields
from clubsite.privacy.crypto import blind_index
from clubsite.privacy.models import ConsentEvent, ConsentWording, Suppression
from clubsite.privacy.normalize import normalize_email_for_index

KINDS = ("given", "confirmed", "withdrawn", "objected")
STATES = ("none", "pending", "active", "withdrawn", "objected")

# The exact words shown beside each consent box. Changing them changes their hash, so every
# consent stays tied to the text the person actually saw.
WORDING = {
    "newsletter": _l(
        "I agree that the club may send me its news and offers by email. I can withdraw this "
        "consent at any time with one click in any newsletter or on the “My data” page."
    ),
}


def wording_text(purpose_id, language):
    """The consent wording of a purpose in a language."""
    with force_locale(language):
        return str(WORDING[purpose_id])


def wording_hash(text):
    """SHA-256 of the exact wording."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _store_wording(purpose_id, language, text):
    digest = wording_hash(text)
    if db.session.get(ConsentWording, digest) is None:
        db.session.add(
            ConsentWording(hash=digest, purpose=purpose_id, language=language, text=text)
        )
        db.session.flush()  # the event's foreign key needs the wording row first
    return digest


def record(member, purpose_id, kind, *, source, actor, language=None, wording=None, proof=""):
    """Append one event to the ledger; 'given' events store the exact wording's hash."""
    if kind not in KINDS:
        raise ValueError(f"unknown consent event {kind!r}")
    digest = None
    if kind == "given":
        language = language or member.language
        text = wording or wording_text(purpose_id, language)
        digest = _store_wording(purpose_id, language, text)
    event = ConsentEvent(
        member_id=member.id,
        purpose=purpose_id,
        kind=kind,
        at=utcnow(),
        source=source,
        actor=as_actor(actor).ledger,
        wording_hash=digest,
        proof=proof[:200],
    )
    db.session.add(event)
    return event


def events(member, purpose_id=None):
    """The member's ledger, oldest first."""
    query = select(ConsentEvent).where(ConsentEvent.member_id == member.id)
    if purpose_id:
        query = query.where(ConsentEvent.purpose == purpose_id)
    return db.session.scalars(query.order_by(ConsentEvent.id)).all()


def fold_state(kinds):
    """The state after a sequence of event kinds (the ledger's meaning, in one place)."""
    state = "none"
    for kind in kinds:
        if kind == "given":
            # Consent given again while active (say, a new sign-up) stays confirmed.
            state = "active" if state == "active" else "pending"
        elif kind == "confirmed" and state in ("pending", "active"):
            state = "active"
        elif kind in ("withdrawn", "objected"):
            state = kind
    return state


def state(member, purpose_id):
    """The member's current consent state for a purpose, derived from the ledger."""
    return fold_state(e.kind for e in events(member, purpose_id))


def address_hash(email):
    """The keyed hash under which an address is suppressed."""
    return blind_index(fields.ring(), "suppress", normalize_email_for_index(email))


def suppress(email, reason):
    """Put an address on the do-not-mail list (idempotent)."""
    digest = address_hash(email)
    if db.session.get(Suppression, digest) is None:
        db.session.add(Suppression(address_hash=digest, reason=reason))


def unsuppress(email):
    """Take an address off the do-not-mail list (only for a new, confirmed consent)."""
    record = db.session.get(Suppression, address_hash(email))
    if record is not None:
        db.session.delete(record)


def is_suppressed(email):
    """True if the address must never be mailed."""
    return db.session.get(Suppression, address_hash(email)) is not None
