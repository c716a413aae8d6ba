"""Likely duplicate members, and merging two records of one person into one.

Only an email address or a personal code identifies a person, and both are unique, so sign-up
never creates two records with them (members.service.find_existing). Everything else is only a
likeness, suggested here for staff to judge: the same phone number (a blind index, found without
decrypting), the same postal address, or the same name and birth date (from old-format personal
codes). A family often shares a phone and an address, so nothing here is ever merged on its own.

A merge keeps one member: the other's purposes join it (the union of the fields per purpose),
its whole consent ledger moves over unchanged, its linked records (invoices, bookings,
check-ins...) follow, and its public id goes into the erasure journal with the reason "merge".

A newsletter consent stays with the address it was given for (newsletter_outcome): the merged
member is mailed only at the address it keeps, and only if that address itself confirmed. A
consent confirmed for the address that goes waits for a confirmation at the kept one.

Other packages move their own records with @merge_hook; whatever still points at the removed
member afterwards is moved by a generic pass over every table with a foreign key to it.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from clubsite.database import as_utc, utcnow
from clubsite.domain import DomainError, as_actor
from clubsite.extensions import db
from clubsite.members.service import UNCONFIRMED_DAYS
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import (
    ConsentEvent,
    ConsentWording,
    ErasureJournal,
    Member,
    MemberNameToken,
    MemberPurpose,
)
from clubsite.privacy.normalize import fold_text
from clubsite.privacy.purposes import FIELDS
from clubsite.privacy.validation import ValidationError, birth_date_from_personal_code

# Likenesses found by blind index (email and personal code are unique: never shared).
INDEX_REASONS = ("phone",)
MAX_GROUPS = 200
NEWSLETTER = "newsletter"
LIVE = ("active", "pending")
STOPS = ("withdrawn", "objected")
_WORDS = re.compile(r"[\W_]+")

# functions(keep, remove) run before the removed member goes; each moves its package's records.
MERGE_HOOKS = []
# Tables the merge itself takes care of (the generic pass leaves them alone).
_OWN_TABLES = {MemberPurpose.__tablename__, MemberNameToken.__tablename__, "consent_event"}


def merge_hook(func):
    """Register a function (keep, remove) moving the removed member's records to the kept one."""
    MERGE_HOOKS.append(func)
    return func


class MergeError(DomainError):
    """A refused merge; .message is for the staff member."""


@dataclass
class Candidate:
    """A group of members who are likely the same person, and why."""

    reason: str  # phone, postal_address or name_birth
    members: list


def find_duplicates(*, actor, limit=MAX_GROUPS):
    """Groups of possible duplicates for staff to judge: a shared phone number, the same postal
    address, or the same name and birth date. A suggestion only: nothing is merged here."""
    groups = []
    for name in INDEX_REASONS:
        column = getattr(Member, f"{name}_bidx")
        shared = (
            select(column)
            .where(column.is_not(None))
            .group_by(column)
            .having(func.count(Member.id) > 1)
            .limit(limit)
        )
        members = db.session.scalars(
            select(Member).where(column.in_(shared)).order_by(Member.id)
        ).all()
        by_value = {}
        for member in members:
            by_value.setdefault(getattr(member, f"{name}_bidx"), []).append(member)
        groups += [Candidate(name, group) for group in by_value.values()]
    groups += _same_postal_address(limit, actor)
    groups += _same_name_and_birth(limit, actor)
    return groups[:limit]


def _address_key(address):
    """A postal address folded for comparison: "Brīvības iela 1-2" ~ "brivibas iela 1 2"."""
    return " ".join(word for word in _WORDS.split(fold_text(address)) if word)


def _same_postal_address(limit, actor):
    """Members with the same folded postal address (only members with an address are read)."""
    members = db.session.scalars(
        select(Member).where(Member.postal_address_enc.is_not(None)).order_by(Member.id)
    ).all()
    by_key = {}
    for member in members:
        key = _address_key(store.read(member, ["postal_address"]).get("postal_address", ""))
        if key:
            by_key.setdefault(key, []).append(member)
    if members:
        audit.record(
            "member.duplicates_scanned",
            fields=["postal_address"],
            detail=f"members={len(members)}",
            actor=as_actor(actor),
        )
    found = [Candidate("postal_address", group) for group in by_key.values() if len(group) > 1]
    return found[:limit]


def _same_name_and_birth(limit, actor):
    """Members with the same folded first and last name and the same birth date."""
    members = db.session.scalars(
        select(Member).where(Member.personal_code_enc.is_not(None)).order_by(Member.id)
    ).all()
    by_key = {}
    for member in members:
        values = store.read(member, ["first_name", "last_name", "personal_code"])
        try:
            born = birth_date_from_personal_code(values.get("personal_code", ""))
        except ValidationError:
            continue
        names = (fold_text(values.get("first_name", "")), fold_text(values.get("last_name", "")))
        if born and all(names):
            by_key.setdefault((*names, born), []).append(member)
    if members:
        audit.record(
            "member.duplicates_scanned",
            fields=["first_name", "last_name", "personal_code"],
            detail=f"members={len(members)}",
            actor=as_actor(actor),
        )
    found = [Candidate("name_birth", group) for group in by_key.values() if len(group) > 1]
    return found[:limit]


def merge_details(member):
    """What a merge would carry over besides the fields: linked rows, consent events and the
    member's own newsletter consent state."""
    events = db.session.scalar(
        select(func.count(ConsentEvent.id)).where(ConsentEvent.member_id == member.id)
    )
    return {
        "links": linked_counts(member),
        "consent_events": events,
        "newsletter": consent.state(member, NEWSLETTER),
    }


def linked_counts(member):
    """How many rows of other tables point at the member (invoices, bookings...), by table."""
    counts = {}
    for table, column in _member_links():
        count = db.session.scalar(
            select(func.count()).select_from(table).where(column == member.id)
        )
        if count:
            counts[table.name] = count
    return counts


def _member_links():
    """(table, column) of every foreign key to member.id outside the member's own tables."""
    links = []
    for table in db.metadata.sorted_tables:
        if table.name in _OWN_TABLES or table.name == Member.__tablename__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == Member.__tablename__ and fk.column.name == "id":
                links.append((table, fk.parent))
    return links


def merge_members(keep, remove, *, actor, keep_version=None, remove_version=None):
    """Merge remove into keep; the caller commits. Returns the field names keep gained.

    actor is a clubsite.domain.Actor (or its ledger form, "staff:<id>" or "system").

    The kept member's values win; fields only the removed member had are added. Nothing else is
    erased: every purpose, consent event and linked record of the removed member moves over.
    """
    if keep.id == remove.id:
        raise MergeError(_l("Choose two different members."))
    if (keep_version is not None and int(keep_version) != keep.version) or (
        remove_version is not None and int(remove_version) != remove.version
    ):
        raise MergeError(
            _l("One of the members was changed meanwhile. Check the comparison again.")
        )
    kept_values = store.read(keep, [f for f in FIELDS if keep.has_field(f)])
    other_values = store.read(remove, [f for f in FIELDS if remove.has_field(f)])
    gained = {f: v for f, v in other_values.items() if f not in kept_values}
    plan = _newsletter_plan(keep, remove)  # before the ledgers join: whose event is whose
    for hook in MERGE_HOOKS:
        hook(keep, remove)
    _move_links(keep, remove)
    _merge_purposes(keep, remove)
    # The removed member's values go first: email, personal code and card are unique.
    store.erase(remove, list(other_values))
    db.session.flush()
    store.write(keep, gained)
    keep.created_at = min(as_utc(keep.created_at), as_utc(remove.created_at))
    keep.last_verified_at = _latest(keep.last_verified_at, remove.last_verified_at)
    keep.updated_at = utcnow()
    _settle_newsletter(keep, plan, remove.public_id, as_actor(actor))
    _retire(keep, remove, gained, actor)
    return sorted(gained)


def _move_links(keep, remove):
    """The consent ledger and every other linked row now point at the kept member."""
    db.session.execute(
        update(ConsentEvent)
        .where(ConsentEvent.member_id == remove.id)
        .values(member_id=keep.id)
        .execution_options(synchronize_session=False)
    )
    for table, column in _member_links():
        db.session.execute(update(table).where(column == remove.id).values({column.name: keep.id}))


def _merge_purposes(keep, remove):
    """Move the removed member's enrolments; where both are enrolled, join the fields."""
    for enrolment in list(remove.purposes):
        own = keep.purpose(enrolment.purpose)
        if own is None:
            keep.purposes.append(enrolment)  # re-parented, so not deleted as an orphan
            continue
        own.fields = ",".join(dict.fromkeys(own.field_list + enrolment.field_list))
        own.started_at = min(as_utc(own.started_at), as_utc(enrolment.started_at))
        own.ends_at = _latest(own.ends_at, enrolment.ends_at, open_wins=True)
        own.keep_until = _latest(own.keep_until, enrolment.keep_until, open_wins=True)
        remove.purposes.remove(enrolment)
    db.session.flush()


@dataclass(frozen=True)
class NewsletterOutcome:
    """What a merge does to the newsletter. A consent stays with the address it was given for.

    address_from: whose email address the merged member keeps ("keep", "remove", or None);
    own: that address's own consent state before the merge; state: the merged member's state
    after it; moved: a consent given for the other address now waits for a confirmation at the
    kept one; dropped: the best state among the addresses that go (they are not mailed again);
    confirm: a confirmation mail must go to the kept address.
    """

    address_from: str | None
    own: str
    state: str
    moved: bool
    dropped: str
    confirm: bool


@dataclass(frozen=True)
class _Event:
    id: int
    kind: str
    address: bytes | None  # the keyed hash of the address it was given for
    wording_hash: str | None
    at: object


@dataclass(frozen=True)
class _Plan:
    outcome: NewsletterOutcome
    appends: tuple  # event kinds the merge records so the ledger folds to outcome.state
    wording: _Event | None  # the "given" event whose wording a recorded "given" repeats
    suppress: tuple  # address hashes whose consent ends with the merge
    ended: str | None  # the address (if known) whose consent a recorded "withdrawn" ends


def newsletter_outcome(keep, remove):
    """What merging remove into keep would do to the newsletter (nothing is changed)."""
    return _newsletter_plan(keep, remove).outcome


def _email(member):
    """The member's email address, or None."""
    return store.read(member, ["email"])["email"] if member.has_field("email") else None


def _hash(email):
    return bytes(consent.address_hash(email)) if email else None


def _newsletter_events(member, address):
    """The member's newsletter events, each with the address it was given for: the event's own
    address hash (the ledger stores it), else, for old rows without one, the member's address."""
    return [
        _Event(e.id, e.kind, _stored_address(e) or address, e.wording_hash, e.at)
        for e in consent.events(member, NEWSLETTER)
    ]


def _stored_address(event):
    return bytes(event.address_hash) if event.address_hash is not None else None


def _fold(events, address):
    """The consent state of one address: its own given and confirmed events, and every
    withdrawal or objection (the person's latest "no" counts, whichever record it was on)."""
    return consent.fold_state(e.kind for e in events if e.kind in STOPS or e.address == address)


def _newsletter_plan(keep, remove):
    """Decide the merged member's newsletter consent from both ledgers, address by address."""
    emails = {"keep": _email(keep), "remove": _email(remove)}
    keep_hash, remove_hash = _hash(emails["keep"]), _hash(emails["remove"])
    address = keep_hash or remove_hash
    source = "keep" if keep_hash else ("remove" if remove_hash else None)
    events = sorted(
        _newsletter_events(keep, keep_hash) + _newsletter_events(remove, remove_hash),
        key=lambda e: e.id,
    )
    merged = consent.fold_state(e.kind for e in events)  # what the joined ledger says as is
    own = _fold(events, address)
    others = {e.address: _fold(events, e.address) for e in events if e.address != address}
    live = [a for a, state in others.items() if state in LIVE]
    enrolled = keep.purpose(NEWSLETTER) is not None or remove.purpose(NEWSLETTER) is not None
    moved = own not in LIVE and bool(live) and enrolled and address is not None
    state = "pending" if moved else own
    appends = ()
    if state == "pending" and merged != "pending":
        # From a consent confirmed for the other address: that one ends, this one waits.
        appends = ("withdrawn", "given") if merged == "active" else ("given",)
    elif state not in LIVE and merged in LIVE:
        appends = ("withdrawn",)
    given_for = live if moved else [address]
    wording = next(
        (e for e in reversed(events) if e.kind == "given" and e.address in given_for), None
    )
    outcome = NewsletterOutcome(
        address_from=source,
        own=own,
        state=state,
        moved=moved,
        dropped=_best(others.values()),
        confirm=state == "pending" and ("given" in appends or source == "remove"),
    )
    plain = {keep_hash: emails["keep"], remove_hash: emails["remove"]}
    ended = next((plain[a] for a in live if a in plain and a is not None), None)
    suppress = tuple(a for a in live if a is not None)
    return _Plan(outcome, appends, wording, suppress, ended)


def _best(states):
    """The most lasting of some consent states, for the merge page."""
    states = set(states)
    return next((s for s in ("active", "pending", "objected", "withdrawn") if s in states), "none")


def _settle_newsletter(keep, plan, removed_id, actor):
    """Record what the merge does to the newsletter consent, so the ledger says plan.outcome.

    Nothing is invented: a consent confirmed only for the address that goes ends (withdrawn,
    source "merge"), and a consent for the kept address is only ever pending, repeating the
    words the person agreed to, until that address confirms it.
    """
    outcome = plan.outcome
    for kind in plan.appends:
        if kind == "given":
            digest = plan.wording.wording_hash if plan.wording else None
            wording = db.session.get(ConsentWording, digest) if digest else None
            given_on = plan.wording.at.date().isoformat() if plan.wording else ""
            consent.record(
                keep,
                NEWSLETTER,
                "given",
                source="merge",
                actor=actor,
                language=wording.language if wording else None,
                wording=wording.text if wording else None,
                proof=f"merge:{removed_id} given:{given_on}",
            )
        else:  # the end of the consent of the address that goes, on that address
            consent.record(keep, NEWSLETTER, kind, source="merge", actor=actor, email=plan.ended)
    enrolment = keep.purpose(NEWSLETTER)
    pending = outcome.state == "pending" and enrolment is not None
    if pending and (outcome.confirm or enrolment.keep_until is None):
        # Like a sign-up: an unconfirmed consent is erased after a week.
        enrolment.keep_until = utcnow() + timedelta(days=UNCONFIRMED_DAYS)
    consent.suppress_many([(digest, "merge") for digest in plan.suppress])


def _latest(a, b, *, open_wins=False):
    """The later of two moments; with open_wins, None (no end yet) beats any date."""
    if a is None or b is None:
        return None if open_wins else (a or b)
    return max(as_utc(a), as_utc(b))


def _retire(keep, remove, gained, actor):
    """Journal the removed public id (reason "merge"), delete the row, audit both sides."""
    removed_id = remove.public_id
    db.session.add(ErasureJournal(public_id=removed_id, reason="merge"))
    db.session.delete(remove)
    actor = as_actor(actor)
    audit.record(
        "member.merged", subject=keep.public_id, fields=gained, detail=f"from:{removed_id}",
        actor=actor,
    )  # fmt: skip
    audit.record(
        "member.merged_away", subject=removed_id, detail=f"into:{keep.public_id}", actor=actor
    )
