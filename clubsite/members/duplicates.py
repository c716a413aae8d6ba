"""Likely duplicate members, and merging two records of one person into one.

Candidates share a blind index (email, phone or personal code: found without decrypting), or
the same name and birth date (from old-format personal codes: only those few are decrypted).
A merge keeps one member: the other's purposes join it (the union of the fields per purpose),
its whole consent ledger moves over unchanged, its linked records (invoices, bookings,
check-ins...) follow, and its public id goes into the erasure journal with the reason "merge".

Other packages move their own records with @merge_hook; whatever still points at the removed
member afterwards is moved by a generic pass over every table with a foreign key to it.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from clubsite.database import as_utc, utcnow
from clubsite.domain import DomainError, as_actor
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.models import (
    ConsentEvent,
    ErasureJournal,
    Member,
    MemberNameToken,
    MemberPurpose,
)
from clubsite.privacy.normalize import fold_text
from clubsite.privacy.purposes import FIELDS
from clubsite.privacy.validation import ValidationError, birth_date_from_personal_code

INDEX_REASONS = ("email", "phone", "personal_code")
MAX_GROUPS = 200

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

    reason: str  # email, phone, personal_code or name_birth
    members: list


def find_duplicates(*, limit=MAX_GROUPS):
    """Groups of likely duplicates: a shared blind index, or the same name and birth date."""
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
    groups += _same_name_and_birth(limit)
    return groups[:limit]


def _same_name_and_birth(limit):
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
        )
    found = [Candidate("name_birth", group) for group in by_key.values() if len(group) > 1]
    return found[:limit]


def merge_details(member):
    """What a merge would carry over besides the fields: linked rows and consent events."""
    events = db.session.scalar(
        select(func.count(ConsentEvent.id)).where(ConsentEvent.member_id == member.id)
    )
    return {"links": linked_counts(member), "consent_events": events}


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
