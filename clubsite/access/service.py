"""Who may come in: the card's member, their membership, and unpaid invoices past the grace
period. Every attempt is logged; the member's first name is shown only when access is allowed
and the staff member's role covers the access purpose."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from clubsite.access.models import CheckIn
from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees.standing import Decision, decide
from clubsite.i18n import to_local
from clubsite.members.cards import normalise_card_number
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.access import visible_fields
from clubsite.privacy.models import Member

MAX_INPUT = 40


def member_by_card(text):
    """The member holding this card number, or None (also for input that is no card number)."""
    number = normalise_card_number(text or "")[:MAX_INPUT]
    if not number.isdigit():
        return None
    return db.session.scalar(
        select(Member).where(Member.card_number_bidx == store.index_value("card_number", number))
    )


@dataclass
class CheckInResult:
    """What the check-in screen shows."""

    decision: Decision
    first_name: str = ""
    at: object = None
    member_public_id: str = ""  # known card: for the desk's link (sell, renew, pause)


def check_in(text, *, user, location_id=None, now=None):
    """Check a card at the door: decide, log the attempt, and read the first name if allowed."""
    now = now or utcnow()
    member = member_by_card(text)
    decision = decide(member, to_local(now).date())
    db.session.add(
        CheckIn(
            member_id=member.id if member else None,
            at=now,
            allowed=decision.allowed,
            reason=decision.reason,
            location_id=location_id,
            staff_id=user.public_id,
        )
    )
    first_name = ""
    if member is not None:
        shown = decision.allowed and "first_name" in visible_fields(user, member)
        if shown:
            first_name = store.read(member, ["first_name"]).get("first_name", "")
        audit.record(
            "member.checkin",
            subject=member.public_id,
            fields=["first_name"] if shown else [],
            detail=decision.reason,
            actor=Actor.staff(user),
        )
    return CheckInResult(decision, first_name, now, member.public_id if member else "")


def recent_check_ins(user, *, location_ids=None, limit=10, now=None):
    """The latest check-ins of the last 24 hours as (time, first name or "", allowed, reason).

    With location_ids, those recorded at these sites only (None: everywhere).
    """
    now = now or utcnow()
    query = select(CheckIn, Member).outerjoin(Member, Member.id == CheckIn.member_id)
    if location_ids is not None:
        query = query.where(CheckIn.location_id.in_(location_ids))
    rows = db.session.execute(
        query.where(CheckIn.at >= now - timedelta(hours=24))
        .order_by(CheckIn.at.desc(), CheckIn.id.desc())
        .limit(limit)
    ).all()
    entries, read = [], 0
    for entry, member in rows:
        name = ""
        if entry.allowed and member is not None and "first_name" in visible_fields(user, member):
            name = store.read(member, ["first_name"]).get("first_name", "")
            read += 1
        entries.append((entry.at, name, entry.allowed, entry.reason))
    if read:
        audit.record(
            "member.checkin_list",
            fields=["first_name"],
            detail=f"rows={read}",
            actor=Actor.staff(user),
        )
    return entries
