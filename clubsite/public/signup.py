"""Sign-up rules: only the chosen purposes' fields, explicit consent per purpose, no duplicates."""

from flask_babel import lazy_gettext as _l

from clubsite.domain import Actor
from clubsite.members import service
from clubsite.members.forms import plan_for_choices, purposes_for_choices
from clubsite.members.service import MemberError
from clubsite.privacy import consent
from clubsite.privacy.purposes import PURPOSES, SIGNUP_CHOICES

MSG_NO_CHOICE = _l("Choose at least one: membership, hall booking or news.")
MSG_CONSENT = _l("To receive news and offers, tick the box to give your consent.")
MSG_WORDING_CHANGED = _l("The consent text has changed. Please read it and tick the box again.")


def consent_purposes(choices):
    """The chosen purposes that need a consent box."""
    return [pid for pid in purposes_for_choices(choices) if PURPOSES[pid].needs_consent]


def clean_choices(values):
    """Known sign-up choices, in the registry's order."""
    return [choice for choice in SIGNUP_CHOICES if choice in set(values or ())]


def check_consents(choices, given, *, language):
    """Errors for consent boxes left empty, or ticked under a wording that has since changed.

    given maps purpose id -> hash of the wording the page showed (None if the box was empty).
    """
    errors = {}
    for pid in consent_purposes(choices):
        shown = given.get(pid)
        if not shown:
            errors[f"consent_{pid}"] = MSG_CONSENT
        elif shown != consent.wording_hash(consent.wording_text(pid, language)):
            errors[f"consent_{pid}"] = MSG_WORDING_CHANGED
    return errors


def sign_up(choices, raw, *, consents, language):
    """Enrol a visitor in the chosen purposes. Returns (member, created); raises MemberError.

    Only the fields the choices ask for are read, whatever else the request carried. An existing
    person (same email address or personal code) is returned unchanged with created=False.
    """
    if not choices:
        raise MemberError({"choices": MSG_NO_CHOICE})
    asked = plan_for_choices(choices)
    raw = {name: raw.get(name, "") for name in asked}
    purpose_ids = purposes_for_choices(choices)
    errors = check_consents(choices, consents, language=language)
    try:
        values = service.clean_values(raw, asked)
        service.check_required(values, purpose_ids)
    except MemberError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise MemberError(errors)
    return service.enrol_member(
        raw, purpose_ids, source="signup", actor=Actor.member(), language=language
    )
