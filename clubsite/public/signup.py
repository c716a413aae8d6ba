"""Sign-up rules: only the chosen purposes' fields, explicit consent per purpose, no duplicates.

An existing person signing up again changes nothing they have: what they ask for that they do
not have yet goes into a mailed link (clubsite.public.adding), and only opening it adds it.
"""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from clubsite.domain import Actor
from clubsite.members import service
from clubsite.members.forms import plan_for_choices, purposes_for_choices
from clubsite.members.service import MemberError
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.purposes import PURPOSES, SIGNUP_CHOICES

MSG_NO_CHOICE = _l("Choose at least one: membership, hall booking or news.")
MSG_CONSENT = _l("To receive news and offers, tick the box to give your consent.")
MSG_WORDING_CHANGED = _l("The consent text has changed. Please read it and tick the box again.")
# Latvia's age of digital consent (Personal Data Processing Law, s. 33): no birth date is asked.
AGE_CONFIRMATION = _l("I confirm that I am at least 13 years old.")
MSG_AGE = _l("To receive news and offers, confirm that you are at least 13 years old.")


def age_confirmation(language):
    """The age confirmation beside an online newsletter consent, in a language."""
    with force_locale(language):
        return str(AGE_CONFIRMATION)


def recorded_wording(language):
    """What an online newsletter consent agrees to, as the ledger keeps it: the consent wording
    and the age confirmation ticked with it (an auditor reads both, also after an erasure)."""
    return consent.wording_text("newsletter", language) + "\n" + age_confirmation(language)


def is_current_wording(shown, purpose_id, language):
    """True if the consent text a page showed (its hash) is the one in force."""
    return shown == consent.wording_hash(consent.wording_text(purpose_id, language))


def give_online_consent(member, purpose_id, *, source, actor, language, confirmed=False):
    """Enrol an existing member in a consent purpose on the consent they ticked online, with
    the wording and age confirmation the ledger keeps (recorded_wording). Pending unless
    confirmed (a link mailed to the address proved it)."""
    service.add_purpose(
        member,
        purpose_id,
        store.read(member, ["email"]),
        basis="consent",
        source=source,
        actor=actor,
        consent_confirmed=confirmed,
        consent_wording=recorded_wording(language),
        consent_language=language,
    )


def check_age(consent_ticked, age_confirmed):
    """The error of a newsletter consent ticked without the age confirmation, if any."""
    return {"age_confirmed": MSG_AGE} if consent_ticked and not age_confirmed else {}


def consent_purposes(choices):
    """The chosen purposes that need a consent box."""
    return [pid for pid in purposes_for_choices(choices) if PURPOSES[pid].needs_consent]


def clean_choices(values):
    """Known sign-up choices, in the registry's order."""
    return [choice for choice in SIGNUP_CHOICES if choice in set(values or ())]


def check_consents(choices, given, *, language, age_confirmed=False):
    """Errors for consent boxes left empty, ticked under a wording that has since changed, or
    ticked without the age confirmation.

    given maps purpose id -> hash of the wording the page showed (None if the box was empty).
    """
    errors = {}
    for pid in consent_purposes(choices):
        shown = given.get(pid)
        if not shown:
            errors[f"consent_{pid}"] = MSG_CONSENT
        elif not is_current_wording(shown, pid, language):
            errors[f"consent_{pid}"] = MSG_WORDING_CHANGED
        else:
            errors.update(check_age(True, age_confirmed))
    return errors


def sign_up(choices, raw, *, consents, language, age_confirmed=False):
    """Enrol a visitor in the chosen purposes. Returns (member, created, requested); raises
    MemberError.

    Only the fields the choices ask for are read, whatever else the request carried. An existing
    person (same email address or personal code) keeps their data unchanged (created=False);
    requested lists the purposes they asked for and do not have yet, for the mailed link.
    """
    if not choices:
        raise MemberError({"choices": MSG_NO_CHOICE})
    asked = plan_for_choices(choices)
    raw = {name: raw.get(name, "") for name in asked}
    purpose_ids = purposes_for_choices(choices)
    errors = check_consents(choices, consents, language=language, age_confirmed=age_confirmed)
    try:
        values = service.clean_values(raw, asked)
        service.check_required(values, purpose_ids)
    except MemberError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise MemberError(errors)
    member, created = service.enrol_member(
        raw,
        purpose_ids,
        source="signup",
        actor=Actor.member(),
        language=language,
        consent_wording=recorded_wording(language),
    )
    if created:
        return member, True, []
    return member, False, request_purposes(member, purpose_ids, language=language)


def request_purposes(member, purpose_ids, *, language):
    """What an existing member's sign-up asks for that they do not have yet.

    Nothing typed on the form is stored: the person adds the purposes by the mailed link. A
    newsletter consent ticked on the form is recorded as given and waits for that link, as a
    new sign-up's waits for its confirmation (double opt-in); one already waiting joins it.
    """
    requested = []
    for pid in purpose_ids:
        if not PURPOSES[pid].needs_consent:
            if member.purpose(pid) is None:
                requested.append(pid)
            continue
        if member.purpose(pid) is None and member.has_field("email"):
            give_online_consent(
                member, pid, source="signup", actor=Actor.member(), language=language
            )
        if consent.state(member, pid) == "pending":
            requested.append(pid)
    if requested:
        audit.record(
            "self_service.purposes_requested",
            subject=member.public_id,
            detail=",".join(requested),
            actor=Actor.member(member),
        )
    return requested
