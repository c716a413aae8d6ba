"""Retention: end purposes whose time is over, erase what no remaining purpose needs.

Set-based: one query finds the expired enrolments, members are loaded in bulk, and the run
commits once. Other packages add what they own with the hooks below: blockers (fees: a purpose
is not over while invoices are open), tasks (check-in log, old bookings), and erasure hooks
(invoices keep their legal copy of the buyer when the member goes).
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.members.models import Member, MemberPurpose
from clubsite.privacy import audit

# purpose id -> function(member_ids, now) -> set of member ids whose purpose must stay for now
RETENTION_BLOCKERS = {}
# name -> function(now, dry_run) -> number of rows removed (or that would be)
RETENTION_TASKS = {}
# functions(member_ids) run before member rows are deleted (bulk: one statement per hook)
ERASURE_HOOKS = []


def retention_blocker(purpose_id):
    """Register a function that keeps some members' purpose past its keep_until."""

    def decorate(func):
        RETENTION_BLOCKERS[purpose_id] = func
        return func

    return decorate


def retention_task(name):
    """Register a clean-up task run by every retention run."""

    def decorate(func):
        RETENTION_TASKS[name] = func
        return func

    return decorate


def erasure_hook(func):
    """Register a function(member_ids) run before members are erased."""
    ERASURE_HOOKS.append(func)
    return func


# functions(member) -> list of texts saying what the law keeps after erasure (e.g. invoices)
LEGAL_KEEPS = []


def legal_keep(func):
    """Register a function describing what must be kept by law when a member is erased."""
    LEGAL_KEEPS.append(func)
    return func


def erasure_preview(member, purpose_ids):
    """What ending these purposes would erase, what stays, and what the law keeps."""
    from clubsite.members.service import needed_fields

    ending = set(purpose_ids)
    keep = needed_fields(member, excluding=ending)
    erased = sorted(
        {f for p in member.purposes if p.purpose in ending for f in p.field_list} - keep
    )
    whole = all(p.purpose in ending for p in member.purposes)
    kept_by_law = [text for func in LEGAL_KEEPS for text in func(member)]
    return {
        "erased_fields": erased,
        "kept_fields": sorted(keep),
        "whole_member": whole,
        "kept_by_law": kept_by_law,
    }


def run_erasure_hooks(member_ids):
    """Run every erasure hook for the ids of members about to be erased."""
    for hook in ERASURE_HOOKS:
        hook(list(member_ids))


@dataclass
class RetentionReport:
    """What a run ended, erased and cleaned (no personal data: public ids and field names)."""

    ended: list = field(default_factory=list)  # (public id, purpose, [erased fields])
    erased_members: list = field(default_factory=list)  # public ids
    tasks: dict = field(default_factory=dict)  # task name -> rows

    def lines(self):
        """Human-readable summary lines."""
        out = [
            f"{pid}: purpose {purpose} ended, erased {', '.join(f) or 'no fields'}"
            for pid, purpose, f in self.ended
        ]
        out += [f"{pid}: member erased" for pid in self.erased_members]
        out += [f"{name}: {count} rows" for name, count in self.tasks.items()]
        return out


def expired_enrolments(now):
    """Enrolments past keep_until, minus those a blocker holds (e.g. unpaid invoices)."""
    rows = db.session.execute(
        select(MemberPurpose.member_id, MemberPurpose.purpose).where(
            MemberPurpose.keep_until.is_not(None), MemberPurpose.keep_until <= now
        )
    ).all()
    by_purpose = {}
    for member_id, purpose_id in rows:
        by_purpose.setdefault(purpose_id, set()).add(member_id)
    for purpose_id, member_ids in by_purpose.items():
        blocker = RETENTION_BLOCKERS.get(purpose_id)
        if blocker:
            member_ids -= blocker(member_ids, now)
    return by_purpose


def run_retention(*, now=None, dry_run=False):
    """End every expired purpose and erase what is no longer needed; commit unless dry_run."""
    now = now or utcnow()
    report = RetentionReport()
    by_purpose = expired_enrolments(now)
    member_ids = set().union(*by_purpose.values()) if by_purpose else set()
    members = _load_members(member_ids)
    to_erase = []
    for member in members:
        ending = [pid for pid, ids in by_purpose.items() if member.id in ids]
        if _end_for_member(member, ending, report, dry_run):
            to_erase.append(member)
    if to_erase and not dry_run:
        from clubsite.members.service import erase_members

        erase_members(to_erase, actor="system", reason="retention")
    for name, task in RETENTION_TASKS.items():
        report.tasks[name] = task(now, dry_run)
    if dry_run:
        db.session.rollback()
    else:
        audit.record(
            "privacy.retention",
            actor=("system", None),
            detail=f"ended={len(report.ended)} erased={len(report.erased_members)}",
        )
        db.session.commit()
    return report


def _load_members(member_ids):
    members = []
    ids = sorted(member_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        members += db.session.scalars(
            select(Member).where(Member.id.in_(chunk)).options(selectinload(Member.purposes))
        ).all()
    return members


def _end_for_member(member, ending, report, dry_run):
    """End the given purposes of one member; True when the whole member is to be erased."""
    from clubsite.members.service import end_purpose, needed_fields

    remaining = [p for p in member.purposes if p.purpose not in ending]
    keep = needed_fields(member, excluding=ending)
    for purpose_id in ending:
        enrolment = member.purpose(purpose_id)
        dropped = [f for f in enrolment.field_list if f not in keep]
        reason = "unconfirmed" if _is_unconfirmed(member, purpose_id) else "retention"
        report.ended.append((member.public_id, purpose_id, dropped))
        if dry_run:
            continue
        if remaining:
            end_purpose(member, purpose_id, actor="system", reason=reason)
    if not remaining:
        report.erased_members.append(member.public_id)
    return not remaining


def _is_unconfirmed(member, purpose_id):
    from clubsite.privacy.consent import state

    return purpose_id == "newsletter" and state(member, "newsletter") == "pending"
