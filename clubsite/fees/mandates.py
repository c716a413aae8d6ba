"""SEPA direct-debit mandates: recorded by staff from a signed form, or given by the member in
"My data" (with a confirming mail), and revocable there.

The debtor's account is the member's own IBAN field of the fees purpose: it is asked for only
for a mandate, and erased when the mandate is revoked (nothing else uses it). Every function
changes the session only and audits under the Actor passed in.
"""

import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite import outbox
from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.fees.bank_models import SEQUENCES, Mandate
from clubsite.fees.terms import FeesError
from clubsite.i18n import today_local
from clubsite.mail import render_mail
from clubsite.privacy import audit
from clubsite.privacy import fields as store
from clubsite.privacy.validation import ValidationError, validate_iban

# The characters a SEPA mandate reference may use (EPC's restricted Latin set), 1-35 of them.
REFERENCE = re.compile(r"[A-Za-z0-9+?/\-:().,' ]{1,35}")
OLDEST_SIGNATURE_YEARS = 10


def active_mandate(member):
    """The member's live mandate, or None."""
    return db.session.scalar(
        select(Mandate).where(Mandate.member_id == member.id, Mandate.status == "active")
    )


def mandates_of(member):
    """All of the member's mandates, newest first."""
    return db.session.scalars(
        select(Mandate).where(Mandate.member_id == member.id).order_by(Mandate.id.desc())
    ).all()


def new_reference(today=None):
    """A fresh mandate reference, e.g. KLUBS-2026-3F9A1C2B."""
    today = today or today_local()
    return f"KLUBS-{today.year}-{secrets.token_hex(4).upper()}"


def masked_iban(iban):
    """An IBAN with only its country, check digits and last four characters shown."""
    compact = (iban or "").replace(" ", "")
    if len(compact) < 8:
        return ""
    return f"{compact[:4]} **** {compact[-4:]}"


def _clean_reference(reference, today):
    reference = (reference or "").strip()
    if not reference:
        return new_reference(today)
    if not REFERENCE.fullmatch(reference) or reference.startswith("/") or "//" in reference:
        raise FeesError(
            _l("A mandate reference has up to 35 letters, digits and - / : ( ) . , ' + ?"),
            "reference",
        )
    if db.session.scalar(select(Mandate.id).where(Mandate.reference == reference)):
        raise FeesError(_l("Another mandate already has this reference."), "reference")
    return reference


def _store_iban(member, iban):
    """Validate and keep the IBAN as a field of the member's fees purpose; returns it."""
    enrolment = member.purpose("fees")
    if enrolment is None:
        raise FeesError(_l("Direct debit needs the member to be enrolled for fee administration."))
    if not iban:
        stored = store.read(member, ["iban"]).get("iban")
        if stored:
            return stored, []
        raise FeesError(_l("Enter the bank account (IBAN) to collect from."), "iban")
    try:
        iban = validate_iban(iban)
    except ValidationError as exc:
        raise FeesError(exc.message, "iban") from None
    store.write(member, {"iban": iban})
    if "iban" not in enrolment.field_list:
        enrolment.fields = ",".join([*enrolment.field_list, "iban"])
    return iban, ["iban"]


def _create(member, *, reference, signed_on, sequence, source, iban, actor, today):
    if active_mandate(member) is not None:
        raise FeesError(_l("There is already a live mandate. Revoke it before giving another."))
    if sequence not in SEQUENCES:
        raise FeesError(_l("Choose first or recurring."), "sequence")
    if signed_on > today:
        raise FeesError(_l("The date of signature cannot be in the future."), "signed_on")
    if signed_on < today - timedelta(days=366 * OLDEST_SIGNATURE_YEARS):
        raise FeesError(_l("The date of signature is too long ago."), "signed_on")
    reference = _clean_reference(reference, today)
    _iban, written = _store_iban(member, iban)
    mandate = Mandate(
        member_id=member.id,
        reference=reference,
        signed_on=signed_on,
        sequence=sequence,
        status="active",
        source=source,
    )
    db.session.add(mandate)
    db.session.flush()
    audit.record(
        "fees.mandate_given",
        subject=member.public_id,
        fields=written,
        detail=f"{source}:{reference}",
        actor=actor,
    )
    return mandate


def record_mandate(member, *, iban=None, reference=None, signed_on, sequence="FRST", actor):
    """Record a mandate the member signed on paper (staff); a typed IBAN replaces the stored one."""
    today = today_local()
    return _create(
        member,
        reference=reference,
        signed_on=signed_on,
        sequence=sequence,
        source="staff",
        iban=iban,
        actor=as_actor(actor).for_member(member),
        today=today,
    )


def give_mandate(member, iban, *, actor, today=None):
    """The member gives a mandate in "My data" today (first collection next).

    Refused while the club collects nothing by direct debit (no creditor identifier set), or
    for a member with no fee administration: nothing would use the account given.
    """
    if not direct_debit_offered(member):
        raise FeesError(_l("Direct debit is not offered."))
    today = today or today_local()
    return _create(
        member,
        reference=None,
        signed_on=today,
        sequence="FRST",
        source="member",
        iban=iban,
        actor=as_actor(actor).for_member(member),
        today=today,
    )


def revoke_mandate(member, mandate, *, actor):
    """End a mandate: no more collections; the IBAN, needed for nothing else, is erased."""
    if mandate is None or mandate.member_id != member.id or mandate.status != "active":
        raise FeesError(_l("This mandate is no longer live."))
    mandate.status = "revoked"
    mandate.revoked_at = utcnow()
    erased = ["iban"] if member.has_field("iban") else []
    store.erase(member, erased)
    for enrolment in member.purposes:
        if "iban" in enrolment.field_list:
            enrolment.fields = ",".join(f for f in enrolment.field_list if f != "iban")
    audit.record(
        "fees.mandate_revoked",
        subject=member.public_id,
        fields=erased,
        detail=mandate.reference,
        actor=as_actor(actor).for_member(member),
    )
    return mandate


def creditor_name():
    """The club's name as creditor on collections."""
    config = current_app.config
    return config.get("SEPA_CREDITOR_NAME") or config["CLUB_NAME"]


def queue_mandate_mail(member, mandate, *, my_data_url, revoked=False):
    """Queue the mail confirming a mandate given (or revoked) in "My data"; 0 without an email."""
    values = store.read(member, ["email", "first_name", "iban"])
    if not values.get("email"):
        return 0
    template = "mandate_revoked" if revoked else "mandate_confirmed"
    message = render_mail(
        template,
        to=values["email"],
        language=member.language,
        name=values.get("first_name", ""),
        reference=mandate.reference,
        signed_on=mandate.signed_on,
        iban=masked_iban(values.get("iban", "")),
        creditor_name=creditor_name(),
        creditor_id=current_app.config.get("SEPA_CREDITOR_ID", ""),
        club_name=current_app.config["CLUB_NAME"],
        club_email=current_app.config["CLUB_EMAIL"],
        my_data_url=my_data_url,
    )
    outbox.enqueue(message, kind=template, member=member)
    return 1


def direct_debit_offered(member):
    """True when the club collects by direct debit and the member is in fee administration."""
    return bool(current_app.config.get("SEPA_CREDITOR_ID")) and member.purpose("fees") is not None


def self_service_context(member):
    """What "My data" shows about direct debit: offered at all, the live mandate, its account."""
    offered = direct_debit_offered(member)
    mandate = active_mandate(member) if member.purpose("fees") else None
    iban = store.read(member, ["iban"]).get("iban", "") if mandate is not None else ""
    return {
        "direct_debit_offered": offered,
        "mandate": mandate,
        "mandate_iban": masked_iban(iban),
        "creditor_name": creditor_name(),
        "creditor_id": current_app.config.get("SEPA_CREDITOR_ID", ""),
    }
