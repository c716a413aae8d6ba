"""What a member can do on "My data": see, download, correct, confirm, withdraw, end, erase.

Each function changes the session only (the route's write block commits once) and writes one
audit event with the member as the actor. Actions the club must carry out itself (ending fee
administration while invoices may be open) are filed in the subject-request register with their
one-month deadline.
"""

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.domain import Actor, DomainError
from clubsite.extensions import db
from clubsite.i18n import DEFAULT_LANGUAGE
from clubsite.members import service
from clubsite.privacy import audit, consent, subject_access
from clubsite.privacy import fields as store
from clubsite.privacy.purposes import PURPOSES
from clubsite.privacy.validation import ValidationError, validate_email
from clubsite.public import address_change, signup, tokens
from clubsite.registers.models import SubjectRequest
from clubsite.registers.service import file_subject_request

# Purposes the member cannot end alone: invoices and payments may have to be kept or settled.
CLUB_MUST_ACT = ("fees",)
OPEN_STATUSES = ("open", "in_progress")
MSG_WORDING_CHANGED = _l("The consent text has changed. Please read it and tick the box again.")
# What a request filed from "My data" says in the register.
DETAILS_END_PURPOSE = _l("End the purpose %(purpose)s (asked on the “My data” page).")
DETAILS_ERASE = _l("Erase all my data (asked on the “My data” page).")


def _register_text(message, purpose_id=None):
    """A register entry's text in the club's language (staff read it, not the member), with the
    purpose's name, never its code."""
    with force_locale(DEFAULT_LANGUAGE):
        purpose = str(PURPOSES[purpose_id].name) if purpose_id else ""
        return str(message) % {"purpose": purpose} if purpose_id else str(message)


@dataclass
class Outcome:
    """What came of a request: done at once, filed for the club, or everything erased."""

    status: str  # "done", "requested" or "erased"
    request: SubjectRequest | None = None


def record(action, member_public_id, *, fields=(), detail=""):
    """Audit a self-service action with the member as the actor."""
    audit.record(
        f"self_service.{action}",
        subject=member_public_id,
        fields=fields,
        detail=detail,
        actor=Actor.member(member_public_id),
    )


def request_link(email_text):
    """A link request: the member the address belongs to (audited), or None.

    Raises a DomainError on the email field for an address that is not one; that says nothing
    about members. The route queues the mail (mails.queue_access_link) in the same write block.
    """
    try:
        email = validate_email(email_text)
    except ValidationError as exc:
        raise DomainError(exc.message, "email") from exc
    member = service.find_existing({"email": email})
    if member is None:
        return None
    record("link_requested", member.public_id)
    return member


def open_from_link(kind, token):
    """Redeem a "My data" link; the member it opens.

    Raises TokenError, also when the member no longer exists (the write block then rolls back,
    and the link stays unused).
    """
    public_id = tokens.redeem(kind, token)
    member = service.member_by_public_id(public_id)
    if member is None:
        raise tokens.TokenError("invalid")
    record("opened", public_id, detail=kind)
    return member


def overview(member, *, language):
    """Everything held about the member, by purpose (audited as a read of those fields)."""
    export = subject_access.gather(member, language=language)
    record("viewed", member.public_id, fields=export["data"].keys())
    return export


def export_text(member, fmt, *, language):
    """The member's data as JSON or CSV text (portability)."""
    export = subject_access.gather(member, language=language)
    record("exported", member.public_id, fields=export["data"].keys(), detail=fmt)
    if fmt == "csv":
        return subject_access.as_csv(export)
    return subject_access.as_json(export)


def correctable_fields(member):
    """The fields the member gave for some purpose, which they may correct."""
    used = {f for p in member.purposes for f in p.field_list}
    return [name for name in service.store_fields() if name in used]


@dataclass
class Correction:
    """What a correction did: the fields changed now, and a new address waiting for its link."""

    changed: dict
    new_address: str | None = None


def correct(member, raw):
    """Correct details (raises MemberError); correcting also marks them verified.

    A different email address is not stored yet: a link goes to it, and it counts once the
    link is opened (clubsite.public.address_change).
    """
    new_address = address_change.typed_address(member, raw.get("email")) if "email" in raw else None
    if new_address:
        raw = {**raw, "email": store.read(member, ["email"]).get("email") or ""}
    changed = service.update_fields(member, raw, actor=Actor.member(member))
    if new_address:
        address_change.request_change(member, new_address)
    record("corrected", member.public_id, fields=changed.keys())
    return Correction(changed, new_address)


def confirm_details(member):
    """ "My data is correct": the yearly accuracy check is done."""
    service.mark_verified(member, actor=Actor.member(member))
    record("verified", member.public_id)


def withdraw_newsletter(member):
    """Withdraw consent to (or object to) news and offers, at once, and never mail the address."""
    enrolment = member.purpose("newsletter")
    if enrolment is None:
        return Outcome("done")
    public_id, actor = member.public_id, Actor.member(member)
    kind = "objected" if enrolment.legal_basis == "legitimate_interest" else "withdrawn"
    email = store.read(member, ["email"]).get("email")
    last = len(member.purposes) == 1
    if kind == "objected" and consent.state(member, "newsletter") == "none":
        # Soft opt-in has no consent in the ledger to withdraw; the objection still belongs there.
        consent.record(member, "newsletter", "objected", source="self-service", actor=actor)
    service.end_purpose(member, "newsletter", actor=actor, reason="self-service")
    if email:
        consent.suppress(email, kind)
    record(kind, public_id, detail="newsletter")
    return Outcome("erased" if last else "done")


def select_requests(member_public_id, kind=None):
    """The member's requests the club has not finished yet, oldest first."""
    query = select(SubjectRequest).where(
        SubjectRequest.member_public_id == member_public_id,
        SubjectRequest.status.in_(OPEN_STATUSES),
    )
    if kind:
        query = query.where(SubjectRequest.kind == kind)
    return db.session.scalars(query.order_by(SubjectRequest.received_at)).all()


def _file(member, details):
    existing = select_requests(member.public_id, kind="erasure")
    if existing:
        return Outcome("requested", existing[0])
    request = file_subject_request(
        member.public_id,
        "erasure",
        details,
        source="self-service",
        actor=Actor.member(member),
    )
    return Outcome("requested", request)


def end_purpose(member, purpose_id):
    """End one purpose now, or file it for the club where invoices may be involved."""
    if member.purpose(purpose_id) is None:
        return Outcome("done")
    if purpose_id == "newsletter":
        return withdraw_newsletter(member)
    if purpose_id in CLUB_MUST_ACT:
        return _file(member, _register_text(DETAILS_END_PURPOSE, purpose_id))
    public_id, last = member.public_id, len(member.purposes) == 1
    actor = Actor.member(member)
    dropped = service.end_purpose(member, purpose_id, actor=actor, reason="self-service")
    record("purpose_ended", public_id, fields=dropped, detail=purpose_id)
    return Outcome("erased" if last else "done")


def erase_everything(member):
    """Erase the member now, or (with fee administration) stop the news at once and file it."""
    if any(p.purpose in CLUB_MUST_ACT for p in member.purposes):
        if member.purpose("newsletter") is not None:
            withdraw_newsletter(member)
        return _file(member, _register_text(DETAILS_ERASE))
    public_id = member.public_id
    email = store.read(member, ["email"]).get("email")
    had_news = member.purpose("newsletter") is not None
    service.erase_member(member, actor=Actor.member(member), reason="self-service")
    if email and had_news:
        consent.suppress(email, "withdrawn")
    record("erased", public_id)
    return Outcome("erased")


def subscribe_newsletter(member, shown_hash, *, age_confirmed=False):
    """Give consent to news from "My data": the link that opened it proved the address.

    Refused (a DomainError on the consent box) when the member already gets the news, has no
    email address, or ticked the box under a wording that has since changed; on the age box
    when they did not confirm they are at least 13. The ledger keeps both wordings.
    """
    refused = DomainError(MSG_WORDING_CHANGED, "consent_newsletter")
    if member.purpose("newsletter") is not None or not member.has_field("email"):
        raise refused
    language = member.language
    if not signup.is_current_wording(shown_hash, "newsletter", language):
        raise refused
    if not age_confirmed:
        raise DomainError(signup.MSG_AGE, "age_confirmed")
    signup.give_online_consent(
        member,
        "newsletter",
        source="self-service",
        actor=Actor.member(member),
        language=language,
        confirmed=True,
    )
    record("subscribed", member.public_id, fields=["email"], detail="newsletter")
