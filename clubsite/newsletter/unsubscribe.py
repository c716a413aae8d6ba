"""Leaving the newsletter with one click: the ledger records it, the address is suppressed.

The link names one delivery. Unsubscribing ends the member's newsletter purpose (members.service
.end_purpose erases what no other purpose needs), writes `withdrawn` for a consent or `objected`
for the soft opt-in, and puts the address's keyed hash on the suppression list, which outlives
the member's erasure. Replies to the mailto: address in List-Unsubscribe are read by people; this
code does not process them.
"""

from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members.service import end_purpose
from clubsite.newsletter import tokens
from clubsite.newsletter.models import Delivery
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member


def delivery_for_token(token):
    """The delivery a genuine token names, or None (forged, broken or unknown)."""
    public_id = tokens.read_token(token)
    if public_id is None:
        return None
    return db.session.scalar(select(Delivery).where(Delivery.public_id == public_id))


def unsubscribe(delivery, *, now=None):
    """Take the delivery's recipient off the newsletter; True if something changed."""
    now = now or utcnow()
    member = db.session.get(Member, delivery.member_id) if delivery.member_id else None
    enrolment = member.purpose("newsletter") if member is not None else None
    if enrolment is None:
        return False  # already unsubscribed, or erased
    kind = "objected" if enrolment.legal_basis == "legitimate_interest" else "withdrawn"
    if "email" in enrolment.field_list and member.has_field("email"):
        consent.suppress(store.read(member, ["email"])["email"], kind)
    delivery.unsubscribed_at = now
    db.session.execute(
        update(Delivery)
        .where(Delivery.member_id == member.id, Delivery.status == "queued")
        .values(status="cancelled", last_error="unsubscribed")
        .execution_options(synchronize_session=False)
    )
    end_purpose(member, "newsletter", actor=Actor.member(member), reason="unsubscribe")
    return True
