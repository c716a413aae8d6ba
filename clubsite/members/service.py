"""Members: enrol in purposes (without duplicates), correct, end a purpose, erase.

Every function changes the session only; the caller commits once, so an action is one
transaction. Audit events are written alongside, with field names, never values.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.domain import DomainError, as_actor
from clubsite.extensions import db
from clubsite.members.cards import issue_card_number
from clubsite.privacy import audit, consent, retention
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member, MemberPurpose
from clubsite.privacy.purposes import FIELDS, PURPOSES, basis_refusal, exit_kind
from clubsite.privacy.validation import (
    ValidationError,
    validate_email,
    validate_iban,
    validate_name,
    validate_personal_code,
    validate_phone,
    validate_postal_address,
)

# The newsletter's, for the demo data; enrolments read their own purpose's days from the registry.
UNCONFIRMED_DAYS = PURPOSES["newsletter"].retention.unconfirmed_days

VALIDATORS = {
    "first_name": validate_name,
    "last_name": validate_name,
    "email": validate_email,
    "phone": validate_phone,
    "postal_address": validate_postal_address,
    "personal_code": validate_personal_code,
    "iban": validate_iban,
}


class MemberError(DomainError):
    """A refused member action; .errors maps field names (or None) to messages."""

    def __init__(self, errors):
        super().__init__(errors=errors)


def clean_values(raw, allowed):
    """Validate the typed values of the allowed fields; anything else is dropped unread."""
    values, errors = {}, {}
    for name in allowed:
        text = (raw.get(name) or "").strip()
        if not text or name not in VALIDATORS:
            continue
        if len(text) > FIELDS[name].max_length * 2:
            errors[name] = _l("This is too long.")
            continue
        try:
            values[name] = VALIDATORS[name](text)
        except ValidationError as exc:
            errors[name] = exc.message
    if errors:
        raise MemberError(errors)
    return values


def check_required(values, purpose_ids):
    """Each chosen purpose's required fields present, and one of its any-of fields."""
    errors = {}
    for purpose_id in purpose_ids:
        purpose = PURPOSES[purpose_id]
        for name in purpose.required:
            if name not in values:
                errors[name] = _l("Please fill this in.")
        if purpose.any_of and not any(name in values for name in purpose.any_of):
            errors[purpose.any_of[0]] = _l("Give a phone number or an email address.")
    if errors:
        raise MemberError(errors)


# Only these identify a person automatically: each belongs to one person. A phone number or a
# postal address is often a family's, so a shared one is only a hint for staff (members.duplicates).
IDENTIFYING_FIELDS = ("email", "personal_code")


def find_existing(values):
    """The member with the same email address or personal code, if any (deduplication).

    A shared phone number or postal address never matches: a family shares them. The email
    match comes first when the two values belong to different members.
    """
    for name in IDENTIFYING_FIELDS:
        if values.get(name):
            column = getattr(Member, f"{name}_bidx")
            found = db.session.scalar(
                select(Member).where(column == store.index_value(name, values[name]))
            )
            if found is not None:
                return found
    return None


def enrol_member(
    raw,
    purpose_ids,
    *,
    source,
    actor,
    language="lv",
    legal_bases=None,
    consent_confirmed=False,
    consent_proof="",
    consent_wording=None,
    location_id=None,
):
    """Create a member enrolled in the purposes, storing only the fields they use.

    Returns (member, created). An existing person (same email address or personal code) is not
    duplicated: (existing member, False) is returned and nothing is changed. Someone who only
    shares a phone number or address with a member (a family) is a new member; staff see the
    likeness on the duplicates page and decide.
    """
    allowed = {f for pid in purpose_ids for f in PURPOSES[pid].typed_fields}
    values = clean_values(raw, allowed)
    check_required(values, purpose_ids)
    # The registry decides the legal bases, whoever calls (see add_purpose).
    bases = {
        pid: (legal_bases or {}).get(pid) or PURPOSES[pid].legal_bases[0] for pid in purpose_ids
    }
    _check_bases(bases, club_member=any(PURPOSES[pid].club_service for pid in purpose_ids))
    _check_confirmation(actor, consent_confirmed, bases)
    existing = find_existing(values)
    if existing is not None:
        return existing, False
    member = Member(language=language, location_id=location_id, last_verified_at=utcnow())
    db.session.add(member)
    store.write(member, values)
    # Club services first: a soft opt-in enrolled alongside them rests on that membership.
    for purpose_id in sorted(purpose_ids, key=lambda pid: not PURPOSES[pid].club_service):
        basis = bases[purpose_id]
        add_purpose(
            member,
            purpose_id,
            values,
            basis=basis,
            source=source,
            actor=actor,
            consent_confirmed=consent_confirmed,
            consent_proof=consent_proof,
            consent_wording=consent_wording,
        )
    audit.record(
        "member.created", subject=member.public_id, fields=values, actor=_actor(actor, member)
    )
    return member, True


MSG_ONLY_THE_PERSON_CONFIRMS = _l(
    "Only the person can confirm their consent, by the link in the confirmation mail."
)


def _check_bases(bases, *, club_member):
    """Refuse (MemberError) a legal basis the purpose registry does not allow."""
    errors = {}
    for purpose_id, basis in bases.items():
        refusal = basis_refusal(purpose_id, basis, club_member=club_member)
        if refusal is not None:
            errors[f"{purpose_id}_basis"] = refusal
    if errors:
        raise MemberError(errors)


def _check_confirmation(actor, confirmed, bases):
    """A consent counts once the person confirmed it themselves (double opt-in): staff, imports
    and the system record it as given, and the person confirms it by mail.

    bases: purpose id -> legal basis of the enrolments about to be made."""
    consents = any(PURPOSES[p].needs_consent and b == "consent" for p, b in bases.items())
    if confirmed and consents and as_actor(actor).kind != "member":
        raise MemberError({"consent_proof": MSG_ONLY_THE_PERSON_CONFIRMS})


def is_club_member(member, *, now=None):
    """True if the member has a current enrolment in a club-service purpose (access, fees)."""
    now = now or utcnow()
    return any(
        PURPOSES[p.purpose].club_service and (p.ends_at is None or as_utc(p.ends_at) > now)
        for p in member.purposes
    )


def add_purpose(
    member,
    purpose_id,
    values,
    *,
    basis,
    source,
    actor,
    consent_confirmed=False,
    consent_proof="",
    consent_wording=None,
    consent_language=None,
):
    """Enrol an existing member in one more purpose, recording the fields given for it.

    The legal basis must be one the registry allows for the purpose, and its soft opt-in only
    for a current member of a club service (MemberError otherwise). A consent is recorded as
    given; with consent_confirmed (only when the person acts, e.g. the box they ticked on
    "My data", opened by a mailed link) it is confirmed at once, else it waits for the person's
    confirmation by mail and expires after UNCONFIRMED_DAYS. Only the person's confirmation
    takes the address off the suppression list. consent_wording (in consent_language) is the
    exact text the person agreed to, when the form showed more than the purpose's wording (an
    online form's age confirmation).
    """
    purpose = PURPOSES[purpose_id]
    if member.purpose(purpose_id) is not None:
        return member.purpose(purpose_id)
    _check_bases({purpose_id: basis}, club_member=is_club_member(member))
    _check_confirmation(actor, consent_confirmed, {purpose_id: basis})
    given = [f for f in purpose.typed_fields if f in values]
    if "card_number" in purpose.system_fields:
        store.write(member, {"card_number": issue_card_number()})
        given.append("card_number")
    enrolment = MemberPurpose(
        purpose=purpose_id, legal_basis=basis, source=source, fields=",".join(given)
    )
    member.purposes.append(enrolment)
    db.session.flush()
    if purpose.needs_consent and basis == "consent":
        email = values.get("email")
        consent.record(
            member, purpose_id, "given", source=source, actor=actor, proof=consent_proof,
            email=email, wording=consent_wording, language=consent_language,
        )  # fmt: skip
        if consent_confirmed:
            consent.record(member, purpose_id, "confirmed", source=source, actor=actor, email=email)
            _lift_suppression(member, actor, email)
        else:
            # An unconfirmed double opt-in is erased after the purpose's days (a week).
            enrolment.keep_until = utcnow() + timedelta(days=purpose.retention.unconfirmed_days)
    return enrolment


def confirm_consent(member, purpose_id, *, source, actor):
    """The double opt-in click: the consent now counts and the purpose no longer expires.

    Only the person confirms (actor: the member, by the mailed link); it is the one way an
    address leaves the suppression list.
    """
    if consent.state(member, purpose_id) != "pending":
        return False
    _check_confirmation(actor, True, {purpose_id: "consent"})
    consent.record(member, purpose_id, "confirmed", source=source, actor=actor)
    member.purpose(purpose_id).keep_until = None
    _lift_suppression(member, actor)
    audit.record("consent.confirmed", subject=member.public_id, actor=_actor(actor, member))
    return True


def _lift_suppression(member, actor, email=None):
    """The person's own confirmed opt-in overrides an earlier exit of the same address."""
    if as_actor(actor).kind != "member":
        return
    email = email or store.read(member, ["email"]).get("email")
    if email:
        consent.unsuppress(email)


STALE = _l("Someone else changed this member meanwhile. Reload the page and try again.")


def update_fields(member, raw, *, actor, verified=True, allowed=None, expected_version=None):
    """Correct the member's fields: those some purpose of theirs uses (and the caller may see).

    With expected_version (the version the form was filled in from), a record changed since
    then is refused and nothing is written (optimistic locking).
    """
    if expected_version is not None and expected_version != member.version:
        raise MemberError({None: STALE})
    used = {f for p in member.purposes for f in p.field_list if f in store_fields()}
    allowed = used if allowed is None else used & set(allowed)
    values = clean_values(raw, allowed)
    for purpose in member.purposes:
        missing = [
            f for f in PURPOSES[purpose.purpose].required if f in allowed and f not in values
        ]
        if missing:
            raise MemberError({f: _l("Please fill this in.") for f in missing})
    cleared = [
        name
        for name in allowed
        if name in raw
        and not (raw.get(name) or "").strip()
        and member.has_field(name)
        and not any(name in PURPOSES[p.purpose].required for p in member.purposes)
    ]
    clash = find_existing(values)
    if clash is not None and clash.id != member.id:
        raise MemberError(
            {None: _l("Another member already has this email, phone or personal code.")}
        )
    old = store.read(member, values)
    changed = {k: v for k, v in values.items() if old.get(k) != v}
    store.write(member, changed)
    _clear_optional(member, cleared)
    changed.update(dict.fromkeys(cleared))
    member.updated_at = utcnow()
    if verified:
        member.last_verified_at = utcnow()
    audit.record(
        "member.corrected", subject=member.public_id, fields=changed, actor=_actor(actor, member)
    )
    return changed


def _clear_optional(member, names):
    """Erase optional fields the person emptied, and stop listing them under any purpose."""
    if not names:
        return
    store.erase(member, names)
    for enrolment in member.purposes:
        enrolment.fields = ",".join(f for f in enrolment.field_list if f not in names)


def mark_verified(member, *, actor):
    """Record that the member confirmed their details are correct today."""
    member.last_verified_at = utcnow()
    audit.record("member.verified", subject=member.public_id, actor=_actor(actor, member))


def store_fields():
    """Field names people type (card numbers are issued by the system)."""
    return [name for name in FIELDS if name != "card_number"]


def end_purpose(member, purpose_id, *, actor, reason="request"):
    """End a purpose: erase fields no remaining purpose needs; erase the member if none is left."""
    enrolment = member.purpose(purpose_id)
    if enrolment is None:
        return []
    keep = retention.needed_fields(member, excluding=(purpose_id,))
    drop = [f for f in enrolment.field_list if f not in keep]
    if PURPOSES[purpose_id].marketing:
        _record_marketing_exit(member, enrolment, actor=actor, reason=reason)
    member.purposes.remove(enrolment)
    store.erase(member, drop)
    audit.record(
        "member.purpose_ended",
        subject=member.public_id,
        fields=drop,
        detail=f"{purpose_id}:{reason}",
        actor=_actor(actor, member),
    )
    if not member.purposes:
        erase_member(member, actor=actor, reason=reason)
    return drop


def _record_marketing_exit(member, enrolment, *, actor, reason):
    """Leaving marketing mail is on the ledger (a withdrawn consent, or an objection to the soft
    opt-in) and puts the address on the suppression list, whoever ends it and why."""
    purpose_id = enrolment.purpose
    kind = exit_kind(purpose_id, enrolment.legal_basis)
    email = store.read(member, ["email"]).get("email")
    state = consent.state(member, purpose_id)
    if state != kind and (kind == "objected" or state in ("active", "pending")):
        consent.record(member, purpose_id, kind, source=reason, actor=actor, email=email)
    if email:
        consent.suppress(email, kind)


def erase_member(member, *, actor, reason="request"):
    """Erase a member entirely; only the public id stays, in the erasure journal."""
    public_id = member.public_id
    db.session.expunge(member)
    retention.erase_member_ids(
        [member.id], [public_id], actor=_actor(actor, public_id), reason=reason
    )
    return public_id


def erase_members(members, *, actor, reason):
    """Erase many members at once: one statement per table per chunk, not per member."""
    ids, public_ids = [m.id for m in members], [m.public_id for m in members]
    for member in members:
        db.session.expunge(member)
    return retention.erase_member_ids(ids, public_ids, actor=_actor(actor), reason=reason)


def member_by_public_id(public_id):
    """The member with this public id, or None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.scalar(select(Member).where(Member.public_id == public_id))


def _actor(actor, member=None):
    """The audit actor; a member acting on their own record is named by their public id."""
    return as_actor(actor).for_member(member)
