"""The GDPR registers (admin): subject requests, breaches and complaints, each with a CSV export.

One set of views serves the three registers; PAGES says what differs between them.
"""

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.database import utcnow
from clubsite.domain import Actor, Stale
from clubsite.registers import breaches, complaints, export, requests, service
from clubsite.registers.forms import (
    LABELS,
    BreachForm,
    ComplaintForm,
    SubjectRequestForm,
    SubjectRequestUpdateForm,
    local_input,
    local_moment,
)
from clubsite.registers.models import Breach, Complaint, SubjectRequest
from clubsite.web import exports, office
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel


@dataclass(frozen=True)
class RegisterPage:
    """What one register's pages need."""

    model: type
    title: object
    new_title: object
    new_form: type
    edit_form: type
    create: object  # function(data, *, actor) -> entry
    update: object  # function(entry, data, *, version, actor) -> entry
    texts: tuple  # encrypted text columns


PAGES = {
    "requests": RegisterPage(
        SubjectRequest,
        _l("Subject requests"),
        _l("Record a subject request"),
        SubjectRequestForm,
        SubjectRequestUpdateForm,
        service.record_subject_request,
        requests.update_subject_request,
        ("details", "outcome", "extension_reason"),
    ),
    "breaches": RegisterPage(
        Breach,
        _l("Personal data breaches"),
        _l("Record a breach"),
        BreachForm,
        BreachForm,
        breaches.record_breach,
        breaches.update_breach,
        ("description", "measures"),
    ),
    "complaints": RegisterPage(
        Complaint,
        _l("Complaints"),
        _l("Record a complaint"),
        ComplaintForm,
        ComplaintForm,
        complaints.record_complaint,
        complaints.update_complaint,
        ("summary", "outcome"),
    ),
}
DATE_FIELDS = ("received_at", "detected_at", "authority_notified_at", "people_informed_at")


def _page(kind):
    page = PAGES.get(kind)
    if page is None:
        abort(404)
    return page


def _form_data(form):
    """The form's values for the service, with local dates and times made aware."""
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "version")}
    for name in DATE_FIELDS:
        if name in data:
            data[name] = local_moment(data[name])
    return data


def _prefill(entry, texts):
    """Form values from a stored entry (for the edit page)."""
    data = {column.key: getattr(entry, column.key) for column in entry.__table__.columns}
    data.update(texts)
    data["categories"] = getattr(entry, "category_list", [])
    for name in DATE_FIELDS:
        if name in data:
            data[name] = local_input(data[name])
    return data


def _context(now=None):
    now = now or utcnow()
    return {
        "labels": LABELS,
        "now": now,
        "clock": lambda breach: breaches.countdown(breach, now=now),
        "request_overdue": lambda entry: service.is_overdue(entry, now),
        "complaint_overdue": lambda entry: complaints.is_overdue(entry, now),
        "reply_due": complaints.reply_due,
    }


@office.route("/registers")
@requires("registers")
def registers():
    """Overview: open requests with their deadlines, open breaches with the 72-hour clock."""
    return render_template(
        "backoffice/registers/overview.html",
        requests=service.open_requests(),
        breaches=breaches.open_breaches(),
        complaints=complaints.open_complaints(),
        **_context(),
    )


@office.route("/registers/<kind>")
@requires("registers")
def register_list(kind):
    """Every entry of one register, the newest first."""
    page = _page(kind)
    entries = {
        "requests": service.list_requests,
        "breaches": breaches.list_breaches,
        "complaints": complaints.list_complaints,
    }[kind]()
    return render_template(
        f"backoffice/registers/{kind}.html", kind=kind, page=page, entries=entries, **_context()
    )


@office.route("/registers/<kind>/new", methods=["GET", "POST"])
@requires("registers")
def register_new(kind):
    """Record a new entry."""
    page = _page(kind)
    form = page.new_form()
    if form.validate_on_submit():
        data = _form_data(form)
        with unit_of_work.write(form) as outcome:
            entry = page.create(data, actor=Actor.staff(current_user))
        if outcome.ok:
            flash(_("Saved in the register."), "success")
            return redirect(
                url_for("backoffice.register_edit", kind=kind, public_id=entry.public_id)
            )
    return render_template(
        f"backoffice/registers/{kind}_form.html",
        kind=kind,
        page=page,
        form=form,
        entry=None,
        **_context(),
    )


@office.route("/registers/<kind>/<public_id>", methods=["GET", "POST"])
@requires("registers")
def register_edit(kind, public_id):
    """One entry: read it, update it or close it (optimistic locking)."""
    page = _page(kind)
    entry = service.entry_by_public_id(page.model, public_id)
    if entry is None:
        abort(404)
    form = page.edit_form()
    if not form.is_submitted():
        return _render_edit(kind, page, entry)
    if form.validate():
        data = _form_data(form)
        with unit_of_work.write(form) as outcome:
            page.update(
                entry, data, version=form.version.data or None, actor=Actor.staff(current_user)
            )
        if outcome.ok:
            flash(_("Saved in the register."), "success")
            return redirect(url_for("backoffice.register_edit", kind=kind, public_id=public_id))
        if isinstance(outcome.error, Stale):  # an older version: show the current one instead
            return _render_edit(kind, page, entry, stale=True)
    return _render_edit(kind, page, entry, form=form)


def _render_edit(kind, page, entry, *, form=None, stale=False):
    texts = service.read_texts(
        entry, list(page.texts), action=f"register.{kind}_read", actor=Actor.staff(current_user)
    )
    if form is None:
        form = page.edit_form(formdata=None, data=_prefill(entry, texts))
    if stale:
        flash(service.STALE, "error")
    return render_template(
        f"backoffice/registers/{kind}_form.html",
        kind=kind,
        page=page,
        form=form,
        entry=entry,
        texts=texts,
        **_context(),
    )


@office.route("/registers/<kind>/export.csv", methods=["GET", "POST"])
@requires("registers")
def register_export(kind):
    """The whole register as CSV (formulas neutralised), an encrypted archive by default."""
    page = _page(kind)
    stamp = utcnow().strftime("%Y%m%d")
    return exports.offer(  # clubsite.web.exports: the choice, the archive, the plain file
        lambda: "\ufeff" + export.export_csv(kind, actor=Actor.staff(current_user)),
        f"{kind}-{stamp}.csv",
        kind=f"register:{kind}",
        title=page.title,
        back_url=url_for("backoffice.register_list", kind=kind),
    )


@home_panel("registers", _l("Registers: deadlines"), "backoffice/panels/registers.html", 20)
def registers_panel(user):
    """Requests due within a week (or overdue) and open breaches with their 72-hour clock."""
    now = utcnow()
    return {
        "requests": service.open_requests(within=service.SOON, now=now),
        "breaches": [(b, breaches.countdown(b, now=now)) for b in breaches.open_breaches()],
        "now": now,
        "request_overdue": lambda entry: service.is_overdue(entry, now),
        "labels": LABELS,
    }
