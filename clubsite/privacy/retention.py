"""Retention: end purposes whose time is over, erase what no remaining purpose needs.

Set-based: one query finds the expired enrolments; members who keep another purpose are grouped
by what must go, and each group is one DELETE of enrolments, one UPDATE erasing the fields and
one audit insert per chunk of a thousand members; members with nothing left are erased in bulk,
a chunk at a time. Every bulk statement bypasses the session (no synchronisation) and binds a
chunk's ids as one value (`among`). The run commits once.
Areas add what they own with hooks (clubsite.hooks), registered by their init_app: blockers
(fees: a purpose is not over while invoices are open), tasks (check-in log, old bookings),
erasure hooks (invoices keep their legal copy of the buyer) and what the law keeps.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, any_, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from clubsite import bulk, hooks
from clubsite.database import utcnow
from clubsite.domain import SYSTEM, as_actor
from clubsite.extensions import db
from clubsite.jobs import DailyAt, job
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.consent import fold_state
from clubsite.privacy.models import (
    ConsentEvent,
    ErasureJournal,
    Member,
    MemberNameToken,
)
from clubsite.privacy.models import MemberPurpose as MP
from clubsite.privacy.purposes import MARKETING, exit_kind

CHUNK = 1000  # members per statement (and per erasure hook call)
NAME_FIELDS = {"first_name", "last_name"}
# Bulk work reads and writes the tables themselves: plain rows, no ORM work per row.
MEMBERS, PURPOSES, TOKENS = Member.__table__, MP.__table__, MemberNameToken.__table__
LEDGER = ConsentEvent.__table__


def among(column, ids):
    """`column IN ids`, the ids bound as one value: a JSON array read by json_each on SQLite,
    an array on PostgreSQL. A statement over a thousand ids is then compiled once and binds one
    parameter, where an IN list costs SQLAlchemy a bound parameter (and milliseconds) each."""
    ids = [int(value) for value in ids]
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(literal(ids, ARRAY(Integer)), ARRAY(Integer)))
    values = func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(select(values.c.value))


def retention_blocker(purpose_id):
    """Mark a function(member_ids, now) -> ids whose purpose must stay past keep_until."""
    return hooks.hook("retention_blocker", purpose_id)


def retention_task(name, *, before_ending=False):
    """Mark a clean-up task function(now, dry_run) -> rows, run by every retention run: after
    the expired purposes end, or before when the task itself ends purposes (the lapse), so one
    run finishes what it starts and the next day's run finds nothing left."""
    return hooks.hook("retention_task", name, before_ending=before_ending)


def _run_tasks(report, now, dry_run, *, before_ending):
    for entry in hooks.registered("retention_task"):
        if entry.meta.get("before_ending", False) == before_ending:
            report.tasks[entry.key] = report.tasks.get(entry.key, 0) + entry.func(now, dry_run)


def erasure_hook(func):
    """Mark a function(member_ids) run before members are erased (one statement for many)."""
    return hooks.hook("erasure_hook")(func)


def legal_keep(func):
    """Mark a function(member) -> texts saying what the law keeps when a member is erased."""
    return hooks.hook("legal_keep")(func)


def needed_fields(member, *, excluding=()):
    """The fields still needed by the member's purposes other than those excluded."""
    return {f for p in member.purposes if p.purpose not in excluding for f in p.field_list}


def erasure_preview(member, purpose_ids):
    """What ending these purposes would erase, what stays, and what the law keeps."""
    ending = set(purpose_ids)
    keep = needed_fields(member, excluding=ending)
    erased = sorted(
        {f for p in member.purposes if p.purpose in ending for f in p.field_list} - keep
    )
    whole = all(p.purpose in ending for p in member.purposes)
    kept_by_law = [text for entry in hooks.registered("legal_keep") for text in entry.func(member)]
    return {
        "erased_fields": erased,
        "kept_fields": sorted(keep),
        "whole_member": whole,
        "kept_by_law": kept_by_law,
    }


def run_erasure_hooks(member_ids):
    """Run every erasure hook for the ids of members about to be erased."""
    for entry in hooks.registered("erasure_hook"):
        entry.func(list(member_ids))


@dataclass
class RetentionReport:
    """What a run ended, erased and cleaned (no personal data: public ids and field names)."""

    ended: list = field(default_factory=list)  # (public id, purpose, [erased fields])
    erased_members: list = field(default_factory=list)  # public ids
    tasks: dict = field(default_factory=dict)  # task name -> rows
    dry_run: bool = False

    def lines(self):
        """Human-readable summary lines ("would" on a dry run)."""
        verb = "would end" if self.dry_run else "ended"
        out = [
            f"{pid}: purpose {purpose} {verb}, erasing {', '.join(f) or 'no fields'}"
            for pid, purpose, f in self.ended
        ]
        erased = "would be erased" if self.dry_run else "erased"
        out += [f"{pid}: member {erased}" for pid in self.erased_members]
        out += [f"{name}: {count} rows" for name, count in self.tasks.items()]
        return out


def expired_enrolments(now):
    """Enrolments past keep_until, minus those a blocker holds (e.g. unpaid invoices)."""
    rows = db.session.execute(
        select(PURPOSES.c.member_id, PURPOSES.c.purpose).where(
            PURPOSES.c.keep_until.is_not(None), PURPOSES.c.keep_until <= now
        )
    ).all()
    by_purpose = defaultdict(set)
    for member_id, purpose_id in rows:
        by_purpose[purpose_id].add(member_id)
    blockers = hooks.by_key("retention_blocker")
    for purpose_id, member_ids in by_purpose.items():
        for blocker in blockers.get(purpose_id, ()):
            member_ids -= blocker(member_ids, now)
    return {purpose: ids for purpose, ids in by_purpose.items() if ids}


@dataclass(frozen=True)
class _Enrolment:
    purpose: str
    fields: frozenset
    basis: str


def _chunks(ids):
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _enrolments_of(member_ids):
    """member id -> {purpose: _Enrolment}, (member id, purpose) -> the enrolment's row id, and
    member id -> public id, read without the ORM."""
    enrolments, row_ids, public_ids, shared = defaultdict(dict), {}, {}, {}
    names = ("id", "member_id", "purpose", "fields", "legal_basis")
    columns = [PURPOSES.c[name] for name in names]
    for chunk in _chunks(member_ids):
        for row_id, member_id, purpose, fields, basis in db.session.execute(
            select(*columns).where(among(PURPOSES.c.member_id, chunk))
        ):
            enrolment = shared.get((purpose, fields, basis))  # most members look alike
            if enrolment is None:
                listed = frozenset(f for f in fields.split(",") if f)
                enrolment = shared[(purpose, fields, basis)] = _Enrolment(purpose, listed, basis)
            enrolments[member_id][purpose] = enrolment
            row_ids[(member_id, purpose)] = row_id
        public_ids.update(
            db.session.execute(
                select(MEMBERS.c.id, MEMBERS.c.public_id).where(among(MEMBERS.c.id, chunk))
            ).all()
        )
    return enrolments, row_ids, public_ids


def _marketing_states(member_ids):
    """(member id, purpose) -> the consent state of each marketing purpose (the registry's
    `marketing` flag), folded from the ledger in one query per chunk."""
    kinds = defaultdict(list)
    for chunk in _chunks(member_ids):
        for member_id, purpose_id, kind in db.session.execute(
            select(LEDGER.c.member_id, LEDGER.c.purpose, LEDGER.c.kind)
            .where(among(LEDGER.c.member_id, chunk), LEDGER.c.purpose.in_(MARKETING))
            .order_by(LEDGER.c.id)
        ):
            kinds[(member_id, purpose_id)].append(kind)
    return {key: fold_state(events) for key, events in kinds.items()}


def _address_hashes(member_ids):
    """member id -> the keyed hash of the member's address (one query per chunk; the addresses
    are decrypted in memory, never written anywhere)."""
    hashes = {}
    for chunk in _chunks(member_ids):
        for row in db.session.execute(
            select(MEMBERS.c.id, MEMBERS.c.public_id, MEMBERS.c.email_enc).where(
                among(MEMBERS.c.id, chunk), MEMBERS.c.email_enc.is_not(None)
            )
        ):
            email = store.read(row, ["email"]).get("email")  # None if the value is damaged
            if email:
                hashes[row.id] = consent.address_hash(email)
    return hashes


def run_retention(*, now=None, dry_run=False):
    """End every expired purpose and erase what is no longer needed; commit unless dry_run."""
    with bulk.gc_paused(), bulk.page_cache():
        return _run_retention(now or utcnow(), dry_run)


def _run_retention(now, dry_run):
    report = RetentionReport(dry_run=dry_run)
    _run_tasks(report, now, dry_run, before_ending=True)
    by_purpose = expired_enrolments(now)
    expired_ids = set().union(*by_purpose.values()) if by_purpose else set()
    enrolments, row_ids, public_ids = _enrolments_of(expired_ids)
    marketing_ids = set().union(*(by_purpose.get(p, set()) for p in MARKETING))
    states = _marketing_states(marketing_ids)
    groups, whole = defaultdict(list), []
    for member_id in sorted(expired_ids):
        held = enrolments.get(member_id, {})
        ending = sorted(p for p in held if member_id in by_purpose.get(p, ()))
        remaining = [e for p, e in held.items() if p not in ending]
        keep = frozenset().union(*(e.fields for e in remaining))
        dropped = frozenset().union(*(held[p].fields for p in ending)) - keep
        for purpose_id in ending:
            report.ended.append(
                (public_ids[member_id], purpose_id, sorted(held[purpose_id].fields - keep))
            )
        if not remaining:
            whole.append(member_id)
            report.erased_members.append(public_ids[member_id])
        else:
            groups[(tuple(ending), tuple(sorted(dropped)))].append(member_id)
    if not dry_run:
        if groups:
            _end_groups(groups, enrolments, row_ids, states, public_ids, now)
        if whole:
            _erase_ids(whole, public_ids)
    _run_tasks(report, now, dry_run, before_ending=False)
    if dry_run:
        db.session.rollback()
    else:
        audit.record(
            "privacy.retention",
            actor=SYSTEM,
            detail=f"ended={len(report.ended)} erased={len(report.erased_members)}",
        )
        db.session.commit()
    return report


@job("retention", DailyAt(3, "RETENTION_HOUR"), _l("Retention: erasing what is no longer needed"))
def retention_job(now):
    """The job runner's daily retention run (at RETENTION_HOUR, Europe/Riga); counts only."""
    report = run_retention(now=now)
    return {"ended": len(report.ended), "erased": len(report.erased_members)}


def _reason(member_id, purpose_id, states, reason="retention"):
    """Why a purpose ends: "unconfirmed" for a consent never confirmed, else the reason."""
    unconfirmed = purpose_id in MARKETING and states.get((member_id, purpose_id)) == "pending"
    return "unconfirmed" if unconfirmed and reason == "retention" else reason


def _end_groups(groups, enrolments, row_ids, states, public_ids, now):
    """End purposes of members who keep others. groups: (purposes ending, fields to erase) ->
    member ids. A few statements per chunk of a thousand members whatever their group, and one
    UPDATE per group and chunk erasing that group's fields."""
    members = sorted(m for ids in groups.values() for m in ids)
    ending_of = {m: ending for (ending, _dropped), ids in groups.items() for m in ids}
    # Leaving marketing mail goes on the ledger, while the addresses are still there.
    marketing = [
        (m, p, enrolments[m][p].basis) for m in members for p in ending_of[m] if p in MARKETING
    ]
    for start in range(0, len(marketing), CHUNK):
        _end_marketing(marketing[start : start + CHUNK], states, now=now, actor=SYSTEM)
    ended = [row_ids[(m, p)] for m in members for p in ending_of[m]]
    for chunk in _chunks(ended):
        db.session.execute(delete(PURPOSES).where(among(PURPOSES.c.id, chunk)))
    named, events = [], defaultdict(list)
    for (ending, dropped), member_ids in groups.items():
        if dropped:
            erased = {f"{name}_enc": None for name in dropped}
            erased.update(dict.fromkeys(store.erased_lookup_columns(dropped)))
            statement = update(MEMBERS).values(
                **erased, version=MEMBERS.c.version + 1, updated_at=now
            )
            for chunk in _chunks(member_ids):
                db.session.execute(statement.where(among(MEMBERS.c.id, chunk)))
        if NAME_FIELDS & set(dropped):
            named += member_ids  # every purpose asks for both names: both go, or neither
        for m in member_ids:
            for p in ending:
                fields = sorted(enrolments[m][p].fields.intersection(dropped))
                events[(p, _reason(m, p, states))].append((public_ids[m], fields))
    for chunk in _chunks(named):
        db.session.execute(delete(TOKENS).where(among(TOKENS.c.member_id, chunk)))
    for (purpose_id, reason), items in events.items():
        audit.record_many(
            "member.purpose_ended", items, detail=f"{purpose_id}:{reason}", actor=SYSTEM
        )


def _end_marketing(ending, states, *, now, actor, reason="retention"):
    """Marketing purposes ending for many members at once: (member id, purpose, basis) triples.

    On the ledger: an objection to a soft opt-in, or the withdrawal of a consent still active or
    pending (one insert). On the suppression list: every one of their addresses, whichever way
    the purpose ends (one insert, skipping addresses already there). Runs before the addresses
    are erased.
    """
    if not ending:
        return
    hashes = _address_hashes({member_id for member_id, _p, _b in ending})
    events, suppressed = [], []
    for member_id, purpose_id, basis in ending:
        kind = exit_kind(purpose_id, basis)
        state = states.get((member_id, purpose_id), "none")
        if kind == "objected" or state in ("active", "pending"):
            events.append(
                {
                    "member_id": member_id,
                    "purpose": purpose_id,
                    "kind": kind,
                    "at": now,
                    "source": _reason(member_id, purpose_id, states, reason),
                    "actor": actor.ledger,
                    "proof": "",
                    "address_hash": hashes.get(member_id),
                }
            )
        if member_id in hashes:
            suppressed.append((hashes[member_id], kind))
    if events:
        db.session.execute(insert(LEDGER), events)
    consent.suppress_many(suppressed)


def _end_marketing_on_erasure(member_ids, *, actor, reason):
    """Erasure ends every marketing purpose of the members: ledger and suppression list."""
    ending = db.session.execute(
        select(PURPOSES.c.member_id, PURPOSES.c.purpose, PURPOSES.c.legal_basis).where(
            among(PURPOSES.c.member_id, member_ids), PURPOSES.c.purpose.in_(MARKETING)
        )
    ).all()
    if ending:
        states = _marketing_states({member_id for member_id, _p, _b in ending})
        _end_marketing(
            [tuple(row) for row in ending], states, now=utcnow(), actor=actor, reason=reason
        )


def _erase_ids(member_ids, public_ids):
    erase_member_ids(member_ids, [public_ids[m] for m in member_ids], actor=SYSTEM)


def erase_member_ids(member_ids, public_ids, *, actor, reason="retention"):
    """Erase whole members: erasure hooks, the journal, the audit and the delete, per chunk.

    Only the public ids stay, in the erasure journal, so a restored backup erases them again.
    A marketing purpose they still had ends (on the ledger, and their address is suppressed);
    their consent events stay, detached (consent.detach), as proof of what the address agreed
    to. Enrolments and name tokens are deleted with the row (the foreign keys would cascade).
    """
    actor = as_actor(actor)
    now = utcnow()
    pairs = sorted(zip(member_ids, public_ids, strict=True))
    for start in range(0, len(pairs), CHUNK):
        ids = [m for m, _ in pairs[start : start + CHUNK]]
        pids = [p for _, p in pairs[start : start + CHUNK]]
        run_erasure_hooks(ids)
        _end_marketing_on_erasure(ids, actor=actor, reason=reason)
        consent.detach(ids)
        db.session.execute(
            insert(ErasureJournal.__table__),
            [{"public_id": pid, "reason": reason, "erased_at": now} for pid in pids],
        )
        audit.record_many("member.erased", [(pid, ()) for pid in pids], detail=reason, actor=actor)
        # What would cascade goes first, one statement a table: SQLite's cascade works row by
        # row and takes twice as long.
        db.session.execute(delete(TOKENS).where(among(TOKENS.c.member_id, ids)))
        db.session.execute(delete(PURPOSES).where(among(PURPOSES.c.member_id, ids)))
        db.session.execute(delete(MEMBERS).where(among(MEMBERS.c.id, ids)))
    return len(pairs)
