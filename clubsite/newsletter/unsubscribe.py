"""Leaving the newsletter with one click: the ledger records it, the address is suppressed.

The link names one delivery. Unsubscribing ends the member's newsletter purpose (members.service
.end_purpose erases what no other purpose needs), writes `withdrawn` for a consent or `objected`
for the soft opt-in, and puts the address's keyed hash on the suppression list, which outlives
the member's erasure. Replies to the mailto: address in List-Unsubscribe are read by people; this
code does not process them.

A link works for tokens.LIFETIME after its newsletter went out. Past that, the page lets the
person ask for a fresh link by typing their address: the same answer for every address, and a
mail only to one that receives our news (request_link).
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from clubsite import outbox
from clubsite.database import as_utc, utcnow
from clubsite.domain import Actor, DomainError
from clubsite.extensions import db
from clubsite.mail import render_mail
from clubsite.members.service import end_purpose, find_existing, member_by_public_id
from clubsite.newsletter import tokens
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member
from clubsite.privacy.validation import ValidationError, validate_email


@dataclass(frozen=True)
class Link:
    """What a genuine unsubscribe token names: a delivery (the link in a newsletter) or a
    member (a link asked for on the expired page), and whether it still works."""

    delivery: Delivery | None
    member: Member | None
    language: str | None
    expired: bool


def delivery_for_token(token):
    """The delivery a genuine token names, or None (forged, broken or unknown)."""
    public_id = tokens.read_token(token)
    if public_id is None:
        return None
    return db.session.scalar(select(Delivery).where(Delivery.public_id == public_id))


def _sent_at(delivery):
    """When the delivery's mail went out (else when its newsletter was sent), or None."""
    if delivery.sent_at is not None:
        return as_utc(delivery.sent_at)
    queued = db.session.scalar(
        select(Newsletter.queued_at).where(Newsletter.id == delivery.newsletter_id)
    )
    return as_utc(queued)


def link_for_token(token, *, now=None):
    """The Link a genuine token names, expired or not; None for a forged or unknown token."""
    now = now or utcnow()
    delivery = delivery_for_token(token)
    if delivery is not None:
        member = db.session.get(Member, delivery.member_id) if delivery.member_id else None
        sent = _sent_at(delivery)
        expired = sent is not None and now - sent > tokens.LIFETIME
        return Link(delivery, member, delivery.language, expired)
    found = tokens.read_member_token(token)
    if found is None:
        return None
    public_id, issued = found
    member = member_by_public_id(public_id)
    language = member.language if member is not None else None
    return Link(None, member, language, now - issued > tokens.MEMBER_LINK_LIFETIME)


def unsubscribe_member(member, *, delivery=None, now=None):
    """Take the member off the newsletter (delivery: the one whose link was used)."""
    now = now or utcnow()
    enrolment = member.purpose("newsletter") if member is not None else None
    if enrolment is None:
        return False  # already unsubscribed, or erased
    kind = "objected" if enrolment.legal_basis == "legitimate_interest" else "withdrawn"
    if "email" in enrolment.field_list and member.has_field("email"):
        consent.suppress(store.read(member, ["email"])["email"], kind)
    if delivery is not None:
        delivery.unsubscribed_at = now
    db.session.execute(
        update(Delivery)
        .where(Delivery.member_id == member.id, Delivery.status == "queued")
        .values(status="cancelled", last_error="unsubscribed")
        .execution_options(synchronize_session=False)
    )
    end_purpose(member, "newsletter", actor=Actor.member(member), reason="unsubscribe")
    return True


def request_link(email_text):
    """Someone typed an address on the expired page: mail it a fresh link if it gets our news.

    Raises a DomainError on the email field for a typo (that says nothing about members);
    otherwise the answer is the same whoever types what. Call inside a write block.
    """
    try:
        email = validate_email(email_text)
    except ValidationError as exc:
        raise DomainError(exc.message, "email") from exc
    member = find_existing({"email": email})
    enrolment = member.purpose("newsletter") if member is not None else None
    if enrolment is None or "email" not in enrolment.field_list:
        return False
    url = tokens.unsubscribe_url(tokens.make_member_token(member.public_id))
    message = render_mail(
        "unsubscribe_link",
        to=store.read(member, ["email"])["email"],
        language=member.language,
        url=url,
        club_name=current_app.config["CLUB_NAME"],
    )
    lifetime = tokens.MEMBER_LINK_LIFETIME
    outbox.enqueue(message, kind="unsubscribe_link", member=member, valid_for=lifetime)
    audit.record(
        "newsletter.unsubscribe_link_requested",
        subject=member.public_id,
        actor=Actor.member(member),
    )
    return True
