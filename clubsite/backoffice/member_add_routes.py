"""Add a member at the desk, with the same registry-driven form as the public sign-up."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.members.forms import (
    TYPED_FIELDS,
    StaffMemberForm,
    plan_for_purposes,
    plans_by_combination,
    typed_values,
)
from clubsite.members.service import MemberError, enrol_member
from clubsite.privacy import access
from clubsite.privacy.purposes import PURPOSES
from clubsite.privacy.validation import ValidationError, clean_text
from clubsite.public import mails
from clubsite.staff.sites import current_view
from clubsite.web import office
from clubsite.web.guard import requires

MSG_ASK_MANAGER = _l(
    "These details cannot be saved from this page; nothing was changed. Please ask the manager "
    "to add this person."
)


def _chosen(form):
    return [pid for pid in PURPOSES if pid in (form.purposes.data or [])]


def _render(form, purposes, existing=None):
    return render_template(
        "backoffice/member_add.html",
        form=form,
        purposes=purposes,
        plan=plan_for_purposes(purposes),
        plans=plans_by_combination(list(PURPOSES), plan_for_purposes),
        fields=TYPED_FIELDS,
        existing=existing,
        detail_exists="backoffice.member_detail" in current_app.view_functions,
    )


def _enrol(form, purposes):
    """Enrol with the basis and proof staff gave; (member, created) or MemberError.

    The service checks the basis against the registry. A consent staff record is never
    confirmed by them, whatever proof they hold: it stays pending and the person gets the
    confirmation mail (mails.queue_signup_mail); news reach them only once they confirm, and
    only their confirmation takes a suppressed address off the do-not-mail list.
    """
    if not purposes:
        raise MemberError({"purposes": _l("Choose at least one purpose.")})
    basis = form.newsletter_basis.data if "newsletter" in purposes else None
    try:
        proof = clean_text(form.consent_proof.data, max_len=200) if basis == "consent" else ""
    except ValidationError as exc:
        raise MemberError({"consent_proof": exc.message}) from None
    plan = plan_for_purposes(purposes)
    return enrol_member(
        typed_values(form, plan),
        purposes,
        source="staff",
        actor=Actor.staff(current_user),
        language=form.language.data,
        legal_bases={"newsletter": basis} if basis else None,
        consent_proof=proof,
        location_id=_site_id(),
    )


def _site_id():
    """The member's site: the one the desk's pages show (the header's switch), if it is one."""
    site = current_view(current_user).single
    return site.id if site else None


@office.route("/members/new", methods=["GET", "POST"])
@requires("members.edit")
def member_add():
    """Choose purposes and basis; the form asks only those purposes' fields."""
    form = StaffMemberForm()
    if not form.is_submitted():
        return _render(form, [])
    form.validate()  # CSRF was checked already; unknown purposes are dropped
    purposes = _chosen(form)
    forged = form.newsletter_basis.errors or form.language.errors
    if request.form.get("step") == "choose" or forged:
        return _render(form, purposes)
    with unit_of_work.write(form) as outcome:
        member, created = _enrol(form, purposes)
        if created:  # into the outbox with the new member
            mails.queue_signup_mail(member, created, by_staff=True)
    if not outcome.ok:
        return _render(form, purposes)
    if not created:  # an existing person: enrol_member changed nothing
        typed = typed_values(form, plan_for_purposes(purposes))
        if not access.may_know_match(current_user, member, typed):
            # Say nothing about a record the staff member may not see (no search oracle).
            form.form_errors.append(MSG_ASK_MANAGER)
            return _render(form, purposes)
        form.form_errors.append(_("This person is already a member; nothing was changed."))
        return _render(form, purposes, existing=member.public_id)
    flash(_("Member added."), "success")
    detail = "backoffice.member_detail" in current_app.view_functions
    if detail and access.may(current_user, "view", member):
        return redirect(url_for("backoffice.member_detail", public_id=member.public_id))
    return redirect(url_for("backoffice.member_add"))
