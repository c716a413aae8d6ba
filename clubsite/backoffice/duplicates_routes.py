"""Likely duplicate members (admin): the list, a side-by-side comparison, and the merge."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.validators import DataRequired

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.members import duplicates, service
from clubsite.privacy import access
from clubsite.privacy.models import Member
from clubsite.privacy.purposes import FIELDS, LEGAL_BASES, PURPOSES
from clubsite.public import mails
from clubsite.web import office
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel

REASONS = {
    "phone": _l("Same phone number"),
    "postal_address": _l("Same postal address"),
    "name_birth": _l("Same name and birth date"),
}
NEWS_STATES = {
    "none": _l("no consent"),
    "pending": _l("given, not confirmed"),
    "active": _l("confirmed"),
    "withdrawn": _l("withdrawn"),
    "objected": _l("objected"),
}


class MergeForm(FlaskForm):
    """Which record to keep, and a confirmation."""

    keep = RadioField(
        _l("Keep this record"),
        choices=[("a", _l("the first")), ("b", _l("the second"))],
        validators=[DataRequired(message=_l("Choose the record to keep."))],
    )
    a_version = HiddenField()
    b_version = HiddenField()
    confirm = BooleanField(
        _l("I have checked that both records are the same person."),
        validators=[DataRequired(message=_l("Please confirm."))],
    )


@office.route("/members/duplicates", endpoint="duplicates")
@requires("members.merge")
def duplicates_list():
    """Groups of members who are likely the same person (names only, audited)."""
    groups = duplicates.find_duplicates(actor=Actor.staff(current_user))
    members = list({m.id: m for group in groups for m in group.members}.values())
    names = {}
    if members:
        names = {v.member.id: v.name for v in access.read_names(current_user, members)}
    return render_template(
        "backoffice/duplicates/list.html", groups=groups, names=names, reasons=REASONS
    )


def _pair_or_404():
    a = service.member_by_public_id(request.values.get("a", ""))
    b = service.member_by_public_id(request.values.get("b", ""))
    if a is None or b is None or a.id == b.id:
        abort(404)
    return a, b


@office.route("/members/duplicates/merge", methods=["GET", "POST"])
@requires("members.merge")
def duplicates_merge():
    """Compare two members and merge one into the other (all purposes and consents kept)."""
    a, b = _pair_or_404()
    form = MergeForm(a_version=a.version, b_version=b.version)
    if form.validate_on_submit():
        keep, remove = (a, b) if form.keep.data == "a" else (b, a)
        versions = {a.id: form.a_version.data or None, b.id: form.b_version.data or None}
        with unit_of_work.write(form) as outcome:
            # A changed member is refused by its version (the rows reload inside the write).
            news = duplicates.newsletter_outcome(keep, remove)
            gained = duplicates.merge_members(
                keep,
                remove,
                actor=Actor.staff(current_user),
                keep_version=versions[keep.id],
                remove_version=versions[remove.id],
            )
            if news.confirm:  # into the outbox with the merge
                mails.queue_signup_mail(keep, True, by_staff=True)
        if outcome.ok:
            flash(
                _(
                    "The records are merged; %(num)d fields came from the other one.",
                    num=len(gained),
                ),
                "success",
            )
            if news.confirm:
                flash(_("News go to the kept address only after it is confirmed."), "info")
            return redirect(url_for("backoffice.member_detail", public_id=keep.public_id))
        a, b = _pair_or_404()  # either may have gone meanwhile
    views = [access.read_member(current_user, m, action="member.read_for_merge") for m in (a, b)]
    details = [duplicates.merge_details(m) for m in (a, b)]
    return render_template(
        "backoffice/duplicates/merge.html",
        form=form,
        a=a,
        b=b,
        views=views,
        details=details,
        news=_newsletter_consequences(a, b, views, details),
        news_states=NEWS_STATES,
        fields=FIELDS,
        purposes=PURPOSES,
        bases=LEGAL_BASES,
    )


def _newsletter_consequences(a, b, views, details):
    """For keeping the first and the second record: what happens to the newsletter, in words.
    Empty when neither record has anything to do with the newsletter."""
    enrolled = any(m.purpose("newsletter") for m in (a, b))
    if not enrolled and all(d["newsletter"] == "none" for d in details):
        return []
    emails = [view.values.get("email") for view in views]
    choices = []
    for label, (keep, remove), (kept, other) in (
        (_("Keeping the first record"), (a, b), emails),
        (_("Keeping the second record"), (b, a), emails[::-1]),
    ):
        outcome = duplicates.newsletter_outcome(keep, remove)
        address = kept if outcome.address_from == "keep" else other
        gone = other if outcome.address_from == "keep" else None
        choices.append((label, _consequence(outcome, address, gone)))
    return choices


def _consequence(outcome, address, gone):
    """Sentences saying where news go after a merge with this outcome."""
    if address is None:
        return [_("The merged record has no email address: no news.")]
    if outcome.moved:
        lines = [
            _(
                "The news consent was given for %(other)s, not for %(address)s: no news until "
                "%(address)s is confirmed. A confirmation mail goes to %(address)s.",
                other=gone or _("the other address"),
                address=address,
            )
        ]
    else:
        lines = [str(_NEWS_LINES[outcome.state]) % {"address": address}]
        if outcome.state == "pending" and outcome.confirm:
            lines.append(_("A confirmation mail goes to %(address)s.", address=address))
    if gone and outcome.dropped in ("active", "pending") and not outcome.moved:
        lines.append(
            _("The consent given for %(other)s ends: that address is not kept.", other=gone)
        )
    return lines


_NEWS_LINES = {
    "active": _l("News go to %(address)s: this address confirmed its consent."),
    "pending": _l("No news until %(address)s is confirmed."),
    "withdrawn": _l("No news: %(address)s withdrew its consent."),
    "objected": _l("No news: %(address)s objected to news."),
    "none": _l("No news consent for %(address)s."),
}


@home_panel("members.merge", _l("Likely duplicates"), "backoffice/panels/duplicates.html", 60)
def duplicates_panel(user):
    """How many members share a phone number (cheap to count: no decryption)."""
    shared = (
        select(Member.phone_bidx)
        .where(Member.phone_bidx.is_not(None))
        .group_by(Member.phone_bidx)
        .having(func.count(Member.id) > 1)
        .subquery()
    )
    return {"count": db.session.scalar(select(func.count()).select_from(shared))}
