"""Members in the back office: find, see by purpose, correct, verify, end a purpose, erase, export.

Every view asks clubsite.privacy.access what the staff member may see or do; the templates only
show what the view was allowed to decrypt.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from clubsite import unit_of_work
from clubsite.backoffice import labels
from clubsite.backoffice.member_forms import correction_form_for
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.members import listing, search, service
from clubsite.privacy import access, audit, subject_access
from clubsite.privacy.purposes import FIELDS, LEGAL_BASES, PURPOSES
from clubsite.privacy.retention import erasure_preview
from clubsite.registers.forms import LABELS as REGISTER_LABELS
from clubsite.registers.service import pending_requests_for
from clubsite.web import exports, office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires
from clubsite.web.limits import member_search_limit
from clubsite.web.params import int_arg

LIST_STATUSES = {
    "current": _l("Current (a purpose still runs)"),
    "ended": _l("Ended (kept until erased)"),
}
LIST_SORTS = {
    "joined": _l("Joined, newest first"),
    "joined_oldest": _l("Joined, oldest first"),
    "changed": _l("Last change, newest first"),
}


def _member_or_404(public_id, action="view"):
    """The member, if the staff member may do the action to them; 404 hides who exists."""
    member = service.member_by_public_id(public_id)
    if member is None or not access.may(current_user, action, member):
        abort(404)
    return member


def _actor():
    return Actor.staff(current_user)


def _list_query():
    """The list's filters, order and page from the query string (bounded choices)."""
    return listing.ListQuery.of(
        current_user,
        purpose=request.args.get("purpose"),
        status=request.args.get("status"),
        location_id=int_arg("location"),
        sort=request.args.get("sort"),
        before_id=int_arg("before"),
    )


@office.route("/members", methods=["GET", "POST"])
@requires("members.view")
@member_search_limit
def member_list():
    """Search box and a page of members the staff member may see (names only), with the total,
    filters by purpose, status and site, and the order shown.

    The search is a POST: names, emails and phones typed into it never appear in a URL, so not
    in browser history or proxy logs either. Filters and order are plain choices in the URL.
    """
    form = EmptyForm()
    search_text = request.form.get("q", "").strip()[:100] if form.validate_on_submit() else ""
    query = _list_query()
    if search_text:
        kind, members = search.search_members(
            current_user, search_text, location_id=query.location_id
        )
        audit.record("member.search", detail=f"kind={kind}", actor=_actor())
        total = len(members)
    else:
        kind, members = None, listing.list_page(current_user, query)
        total = listing.count_members(current_user, query)
    return render_template(
        "backoffice/members/list.html",
        rows=access.read_names(current_user, members),
        form=form,
        query=search_text,
        kind=kind,
        filters=query,
        total=total,
        purposes=[p for p in PURPOSES.values() if p.id in access.covered_purposes(current_user)],
        statuses=LIST_STATUSES,
        sorts=LIST_SORTS,
        locations=db.session.scalars(
            select(Location).where(Location.active).order_by(Location.name)
        ).all(),
        location=query.location_id,
        page_size=listing.PAGE_SIZE,
    )


@office.route("/members/<public_id>")
@requires("members.view")
def member_detail(public_id):
    """A member's data, grouped by the purposes the staff member covers."""
    member = _member_or_404(public_id)
    view = access.read_member(current_user, member)
    return render_template(
        "backoffice/members/detail.html",
        view=view,
        member=member,
        fields=FIELDS,
        purposes=PURPOSES,
        bases=LEGAL_BASES,
        may=lambda action: access.may(current_user, action, member),
        action_form=EmptyForm(),
        pending_requests=pending_requests_for(member.public_id),
        register_labels=REGISTER_LABELS,
        may_open_register=current_user.can("registers"),
        source_label=labels.source_label,
    )


@office.route("/members/<public_id>/edit", methods=["GET", "POST"])
@requires("members.edit")
def member_edit(public_id):
    """Correct a member's details (only the fields the staff member may see)."""
    member = _member_or_404(public_id, "edit")
    view = access.read_member(current_user, member, action="member.read_for_edit")
    form = correction_form_for(view, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        raw = {name: getattr(form, name).data for name in form.field_names}
        with unit_of_work.write(form) as outcome:
            service.update_fields(
                member,
                raw,
                actor=_actor(),
                allowed=set(form.field_names),
                expected_version=int(form.version.data or 0),
            )
        if outcome.ok:
            flash(_("The details have been corrected."), "success")
            return redirect(url_for("backoffice.member_detail", public_id=public_id))
    return render_template("backoffice/members/edit.html", form=form, member=member, view=view)


@office.route("/members/<public_id>/verified", methods=["POST"])
@requires("members.edit")
def member_verified(public_id):
    """Record that the member confirmed their details are correct."""
    member = _member_or_404(public_id, "edit")
    if not EmptyForm().validate_on_submit():
        abort(400)
    with unit_of_work.write():
        service.mark_verified(member, actor=_actor())
    flash(_("Marked as verified today."), "success")
    return redirect(url_for("backoffice.member_detail", public_id=public_id))


@office.route("/members/<public_id>/purposes/<purpose_id>/end", methods=["GET", "POST"])
@requires("members.erase")
def member_end_purpose(public_id, purpose_id):
    """End one purpose, after a confirmation that says which fields will be erased."""
    member = _member_or_404(public_id, "end_purpose")
    if purpose_id not in PURPOSES or member.purpose(purpose_id) is None:
        abort(404)
    preview = erasure_preview(member, [purpose_id])
    form = EmptyForm()
    if form.validate_on_submit():
        with unit_of_work.write():
            service.end_purpose(member, purpose_id, actor=_actor(), reason="staff")
        flash(_("The purpose has ended and the data it alone needed is erased."), "success")
        if service.member_by_public_id(public_id) is None:
            return redirect(url_for("backoffice.member_list"))
        return redirect(url_for("backoffice.member_detail", public_id=public_id))
    return render_template(
        "backoffice/members/confirm_erase.html",
        member=member,
        preview=preview,
        form=form,
        purpose=PURPOSES[purpose_id],
        fields=FIELDS,
    )


@office.route("/members/<public_id>/erase", methods=["GET", "POST"])
@requires("members.erase")
def member_erase(public_id):
    """Erase a member entirely, after a confirmation listing what goes and what law keeps."""
    member = _member_or_404(public_id, "erase")
    preview = erasure_preview(member, [p.purpose for p in member.purposes])
    form = EmptyForm()
    if form.validate_on_submit():
        with unit_of_work.write():
            service.erase_member(member, actor=_actor(), reason="staff")
        flash(_("The member has been erased."), "success")
        return redirect(url_for("backoffice.member_list"))
    return render_template(
        "backoffice/members/confirm_erase.html",
        member=member,
        preview=preview,
        form=form,
        purpose=None,
        fields=FIELDS,
    )


@office.route("/members/<public_id>/export.<fmt>", methods=["GET", "POST"])
@requires("members.export")
def member_export(public_id, fmt):
    """Everything held about the member, for a subject access request (JSON or CSV), as an
    encrypted archive by default (clubsite.web.exports)."""
    member = _member_or_404(public_id, "export")
    if fmt not in ("json", "csv"):
        abort(404)

    def make():
        export = subject_access.gather(member, language=member.language)
        audit.record(
            "member.exported", subject=member.public_id, fields=list(export["data"]), actor=_actor()
        )
        return subject_access.as_json(export) if fmt == "json" else subject_access.as_csv(export)

    return exports.offer(
        make,
        f"member-{member.public_id}.{fmt}",
        kind="member",
        title=_("Export a member's data (%(format)s)", format=fmt.upper()),
        back_url=url_for("backoffice.member_detail", public_id=public_id),
    )
