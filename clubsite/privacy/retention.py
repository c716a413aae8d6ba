"""Retention: end purposes whose time is over, erase what no remaining purpose needs.

Set-based: one query finds the expired enrolments; members who keep another purpose are grouped
by what must go, and each group is one DELETE of enrolments, one UPDATE erasing the fields and
one audit insert; members with nothing left are erased in bulk. The run commits once.
Areas add what they own with hooks (clubsite.hooks), registered by their init_app: blockers
(fees: a purpose is not over while invoices are open), tasks (check-in log, old bookings),
erasure hooks (invoices keep their legal copy of the buyer) and what the law keeps.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update

from clubsite import hooks
from clubsite.database import utcnow
from clubsite.domain import SYSTEM, as_actor
from clubsite.extensions import db
from clubsite.jobs import DailyAt, job
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.consent import fold_state
from clubsite.privacy.models import (
    INDEXED_FIELDS,
    ConsentEvent,
    ErasureJournal,
    Member,
    MemberNameToken,
)
from clubsite.privacy.models import MemberPurpose as MP
from clubsite.privacy.purposes import MARKETING, exit_kind

CHUNK = 500  # ids per IN list: well below every database's limit on bound parameters
NAME_FIELDS = {"first_name", "last_name"}


def retention_blocker(purpose_id):
    """Mark a function(member_ids, now) -> ids whose purpose must stay past keep_until."""
    return hooks.hook("retention_blocker", purpose_id)


def retention_task(name):
    """Mark a clean-up task function(now, dry_run) -> rows, run by every retention run."""
    return hooks.hook("retention_task", name)


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
        select(MP.member_id, MP.purpose).where(MP.keep_until.is_not(None), MP.keep_until <= now)
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
    """member id -> {purpose: _Enrolment}, and member id -> public id, read without the ORM."""
    enrolments, public_ids = defaultdict(dict), {}
    for chunk in _chunks(member_ids):
        for member_id, purpose, fields, basis in db.session.execute(
            select(MP.member_id, MP.purpose, MP.fields, MP.legal_basis).where(
                MP.member_id.in_(chunk)
            )
        ):
            names = frozenset(f for f in fields.split(",") if f)
            enrolments[member_id][purpose] = _Enrolment(purpose, names, basis)
        public_ids.update(
            db.session.execute(
                select(Member.id, Member.public_id).where(Member.id.in_(chunk))
            ).all()
        )
    return enrolments, public_ids


def _marketing_states(member_ids):
    """(member id, purpose) -> the consent state of each marketing purpose (the registry's
    `marketing` flag), folded from the ledger in one query per chunk."""
    kinds = defaultdict(list)
    for chunk in _chunks(member_ids):
        for member_id, purpose_id, kind in db.session.execute(
            select(ConsentEvent.member_id, ConsentEvent.purpose, ConsentEvent.kind)
            .where(ConsentEvent.member_id.in_(chunk), ConsentEvent.purpose.in_(MARKETING))
            .order_by(ConsentEvent.id)
        ):
            kinds[(member_id, purpose_id)].append(kind)
    return {key: fold_state(events) for key, events in kinds.items()}


def _address_hashes(member_ids):
    """member id -> the keyed hash of the member's address (one query per chunk; the addresses
    are decrypted in memory, never written anywhere)."""
    hashes = {}
    for chunk in _chunks(member_ids):
        for row in db.session.execute(
            select(Member.id, Member.public_id, Member.email_enc).where(
                Member.id.in_(chunk), Member.email_enc.is_not(None)
            )
        ):
            email = store.read(row, ["email"]).get("email")  # None if the value is damaged
            if email:
                hashes[row.id] = consent.address_hash(email)
    return hashes


def run_retention(*, now=None, dry_run=False):
    """End every expired purpose and erase what is no longer needed; commit unless dry_run."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    by_purpose = expired_enrolments(now)
    expired_ids = set().union(*by_purpose.values()) if by_purpose else set()
    enrolments, public_ids = _enrolments_of(expired_ids)
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
        for (ending, dropped), member_ids in groups.items():
            _end_group(member_ids, ending, dropped, enrolments, states, public_ids, now)
        if whole:
            _erase_ids(whole, public_ids)
    for name, tasks in hooks.by_key("retention_task").items():
        report.tasks[name] = sum(task(now, dry_run) for task in tasks)
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


def _end_group(member_ids, ending, dropped, enrolments, states, public_ids, now):
    """End the same purposes and erase the same fields for a group of members: a few statements."""
    for chunk in _chunks(member_ids):
        for purpose_id in ending:
            if purpose_id in MARKETING:
                _end_marketing(
                    [(m, purpose_id, enrolments[m][purpose_id].basis) for m in chunk],
                    states,
                    now=now,
                    actor=SYSTEM,
                )
        db.session.execute(
            delete(MP)
            .where(MP.member_id.in_(chunk), MP.purpose.in_(ending))
            .execution_options(synchronize_session=False)
        )
        if dropped:
            erased = {f"{name}_enc": None for name in dropped}
            erased.update({f"{name}_bidx": None for name in dropped if name in INDEXED_FIELDS})
            db.session.execute(
                update(Member)
                .where(Member.id.in_(chunk))
                .values(**erased, version=Member.version + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        if NAME_FIELDS & set(dropped):
            # Every purpose asks for both names, so a group loses both or neither.
            db.session.execute(
                delete(MemberNameToken)
                .where(MemberNameToken.member_id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
        for purpose_id in ending:
            for reason in ("retention", "unconfirmed"):
                items = [
                    (public_ids[m], sorted(enrolments[m][purpose_id].fields & set(dropped)))
                    for m in chunk
                    if _reason(m, purpose_id, states) == reason
                ]
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
        db.session.execute(insert(ConsentEvent), events)
    consent.suppress_many(suppressed)


def _end_marketing_on_erasure(member_ids, *, actor, reason):
    """Erasure ends every marketing purpose of the members: ledger and suppression list."""
    ending = db.session.execute(
        select(MP.member_id, MP.purpose, MP.legal_basis).where(
            MP.member_id.in_(member_ids), MP.purpose.in_(MARKETING)
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
    to. Enrolments and name tokens go with the row (ON DELETE CASCADE).
    """
    actor = as_actor(actor)
    pairs = sorted(zip(member_ids, public_ids, strict=True))
    for start in range(0, len(pairs), CHUNK):
        ids = [m for m, _ in pairs[start : start + CHUNK]]
        pids = [p for _, p in pairs[start : start + CHUNK]]
        run_erasure_hooks(ids)
        _end_marketing_on_erasure(ids, actor=actor, reason=reason)
        consent.detach(ids)
        db.session.execute(
            insert(ErasureJournal), [{"public_id": pid, "reason": reason} for pid in pids]
        )
        audit.record_many("member.erased", [(pid, ()) for pid in pids], detail=reason, actor=actor)
        db.session.execute(
            delete(Member).where(Member.id.in_(ids)).execution_options(synchronize_session=False)
        )
    return len(pairs)
