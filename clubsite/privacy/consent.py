"""The consent ledger: append events, derive the current state, suppress withdrawn addresses.

Every event carries the keyed hash of its address (the suppression list's hash), so when the
member is erased the event stays, detached from the person (no member link, no free-text
proof): the club can still show what an address agreed to, when, and when it withdrew.
The database keeps the ledger append-only (triggers); detach() is the one change it allows.
"""

import functools
import hashlib
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.privacy import fields
from clubsite.privacy.models import ConsentEvent, ConsentWording, Suppression

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


def record(
    member, purpose_id, kind, *, source, actor, language=None, wording=None, proof="", email=None
):
    """Append one event to the ledger; 'given' events store the exact wording's hash.

    The event carries the keyed hash of the address it is about: email, or else the member's
    stored address (read before any erasure of it).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown consent event {kind!r}")
    digest = None
    if kind == "given":
        language = language or member.language
        text = wording or wording_text(purpose_id, language)
        digest = _store_wording(purpose_id, language, text)
    email = email or fields.read(member, ["email"]).get("email")
    event = ConsentEvent(
        member_id=member.id,
        address_hash=address_hash(email) if email else None,
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
    return address_hasher()(email)


def address_hasher():
    """address_hash for many addresses (a newsletter audience): the key ring looked up once."""
    return functools.partial(fields.suppression_hash, fields.ring())


def suppress(email, reason):
    """Put an address on the do-not-mail list (idempotent)."""
    suppress_many([(address_hash(email), reason)])


def suppress_many(pairs):
    """Put (address hash, reason) pairs on the do-not-mail list: one INSERT, skipping hashes
    already there (also those another transaction adds at the same time)."""
    now = utcnow()
    reasons = dict(pairs)  # one row per hash
    rows = [{"address_hash": h, "reason": r, "created_at": now} for h, r in reasons.items()]
    if not rows:
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Suppression).on_conflict_do_nothing(index_elements=["address_hash"])
    db.session.execute(statement, rows)


def unsuppress(email):
    """Take an address off the do-not-mail list (only for the person's own confirmed opt-in)."""
    record = db.session.get(Suppression, address_hash(email))
    if record is not None:
        db.session.delete(record)


def is_suppressed(email):
    """True if the address must never be mailed."""
    return db.session.get(Suppression, address_hash(email)) is not None


def detach(member_ids):
    """Detach the ledger rows of members about to be erased: the member link and the free-text
    proof go, the rest stays (the one UPDATE the database's append-only triggers allow)."""
    if member_ids:
        db.session.execute(
            update(ConsentEvent)
            .where(ConsentEvent.member_id.in_(list(member_ids)))
            .values(member_id=None, proof="")
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class ProofEvent:
    """One ledger event about an address, as a proof of consent shows it."""

    purpose: str
    kind: str
    at: object
    source: str
    wording_hash: str | None
    wording: str | None  # the exact text, when the ledger stored it
    wording_language: str | None
    detached: bool  # its member has been erased


@dataclass(frozen=True)
class ProofOfConsent:
    """Everything the ledger and the suppression list hold about one address."""

    events: list
    suppressed_at: object = None
    suppressed_reason: str | None = None

    @property
    def suppressed(self):
        """True if the address is on the do-not-mail list."""
        return self.suppressed_at is not None


def proof_of_consent(email):
    """The consent history of an address (also after its member was erased), oldest first,
    and whether it is suppressed. Looked up by the keyed hash alone: nothing is decrypted."""
    digest = address_hash(email)
    rows = db.session.execute(
        select(ConsentEvent, ConsentWording.text, ConsentWording.language)
        .outerjoin(ConsentWording, ConsentWording.hash == ConsentEvent.wording_hash)
        .where(ConsentEvent.address_hash == digest)
        .order_by(ConsentEvent.at, ConsentEvent.id)
    ).all()
    events = [
        ProofEvent(
            e.purpose, e.kind, e.at, e.source, e.wording_hash, text, language, e.member_id is None
        )
        for e, text, language in rows
    ]
    entry = db.session.get(Suppression, digest)
    if entry is None:
        return ProofOfConsent(events)
    return ProofOfConsent(events, entry.created_at, entry.reason)
