"""Proof of consent (admin): what an address agreed to and when it withdrew, also after its member
was erased, and whether it is on the do-not-mail list.

The address is typed into a POST form, so it never reaches a URL (browser history, proxy logs),
and it is looked up by its keyed hash alone: nothing is decrypted. Each lookup is audited with
the field name, never the value.
"""

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from clubsite.domain import Actor
from clubsite.privacy import audit, consent
from clubsite.privacy.purposes import PURPOSES
from clubsite.privacy.validation import ValidationError, validate_email
from clubsite.web import office
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel

KIND_LABELS = {
    "given": _l("Consent given"),
    "confirmed": _l("Confirmed by the person (double opt-in)"),
    "withdrawn": _l("Consent withdrawn"),
    "objected": _l("Objected"),
}
SOURCE_LABELS = {
    "signup": _l("Sign-up form"),
    "staff": _l("Recorded by staff"),
    "import": _l("Imported from a file"),
    "self-service": _l("“My data” page"),
    "email-link": _l("Confirmation link in a mail"),
    "unsubscribe": _l("Unsubscribe link in a newsletter"),
    "retention": _l("Retention"),
    "unconfirmed": _l("Not confirmed in time"),
    "request": _l("Erasure request"),
}
SUPPRESSION_LABELS = {
    "withdrawn": _l("consent withdrawn"),
    "objected": _l("objection"),
    "bounced": _l("mail bounced"),
    "complaint": _l("complaint"),
}


class ConsentProofForm(FlaskForm):
    """The address to look up (a POST: it never appears in a URL)."""

    email = StringField(
        _l("Email address"),
        render_kw={"type": "email", "autocomplete": "off", "maxlength": 254},
    )


@office.route("/consent-proof", methods=["GET", "POST"])
@requires("registers")
def consent_proof():
    """Look up an address's consent history and suppression (audited, field names only)."""
    form = ConsentProofForm()
    proof = None
    if form.validate_on_submit():
        try:
            address = validate_email(form.email.data or "")
        except ValidationError as exc:
            form.email.errors = [exc.message]
        else:
            proof = consent.proof_of_consent(address)
            # A read: appended with the request's other read events when it ends.
            audit.record(
                "consent.proof_viewed",
                fields=["email"],
                detail=f"events={len(proof.events)}",
                actor=Actor.staff(current_user),
            )
    return render_template(
        "backoffice/consent_proof.html",
        form=form,
        proof=proof,
        purposes=PURPOSES,
        kinds=KIND_LABELS,
        sources=SOURCE_LABELS,
        suppression_reasons=SUPPRESSION_LABELS,
    )


@home_panel("registers", _l("Proof of consent"), "backoffice/panels/consent_proof.html", 61)
def consent_proof_panel(_user):
    """A way in to the consent proof lookup."""
    return {}
