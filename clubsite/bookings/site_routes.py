"""Club sites and their halls (admin): add, rename, close and reopen sites; add, rename and
deactivate halls; and every staff member's switch of which site their check-in, bookings and
home panels show (kept in the session, not the URL)."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from clubsite import unit_of_work
from clubsite.bookings import halls, sites
from clubsite.bookings.forms import HallForm, HallOnlineForm, SiteForm, SiteSwitchForm
from clubsite.bookings.models import Hall
from clubsite.bookings.times import clock_text
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.locations import all_locations, location_by_public_id, open_locations
from clubsite.staff import sites as staff_sites
from clubsite.staff.models import StaffUser, staff_location
from clubsite.urls import safe_next
from clubsite.web import office
from clubsite.web.forms import EmptyForm, flash_errors
from clubsite.web.guard import requires


def _actor():
    return Actor.staff(current_user)


def _site_or_404(public_id):
    site = location_by_public_id(public_id)
    if site is None:
        abort(404)
    return site


def _counts(column):
    """{site id: rows} of a table's site column (halls per site, staff per site)."""
    rows = db.session.execute(select(column, func.count()).group_by(column)).all()
    return dict(rows)


@office.route("/sites", methods=["GET", "POST"])
@requires("sites.manage")
def sites_list():
    """Every site with its halls and staff, and the form to add one."""
    form = SiteForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            site = sites.add_site(form.values(), actor=_actor())
            public_id = site.public_id
        if outcome.ok:
            flash(_("The site is added. Add its halls next."), "success")
            return redirect(url_for("backoffice.site_detail", public_id=public_id))
    return render_template(
        "backoffice/sites/list.html",
        form=form,
        sites=all_locations(),
        halls=_counts(Hall.location_id),
        staff=_counts(staff_location.c.location_id),
        action_form=EmptyForm(),
    )


@office.route("/sites/<public_id>", methods=["GET", "POST"])
@requires("sites.manage")
def site_detail(public_id):
    """Rename a site or change its address and opening hours; its halls and staff; close it."""
    site = _site_or_404(public_id)
    current = None
    if request.method == "GET":
        current = {"name": site.name, "address": site.address, "opening_hours": site.opening_hours}
    form = SiteForm(data=current)
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            sites.update_site(_site_or_404(public_id), form.values(), actor=_actor())
        if outcome.ok:
            flash(_("The site is saved."), "success")
            return redirect(url_for("backoffice.sites_list"))
    site = _site_or_404(public_id)
    halls = db.session.scalars(
        select(Hall).where(Hall.location_id == site.id).order_by(Hall.name)
    ).all()
    staff = db.session.scalars(
        select(StaffUser)
        .join(staff_location, staff_location.c.staff_id == StaffUser.id)
        .where(staff_location.c.location_id == site.id)
        .order_by(StaffUser.email)
    ).all()
    return render_template(
        "backoffice/sites/detail.html",
        site=site,
        form=form,
        halls=halls,
        staff=staff,
        action_form=EmptyForm(),
    )


@office.route("/sites/<public_id>/<action>", methods=["POST"])
@requires("sites.manage")
def site_action(public_id, action):
    """Close or reopen a site; a refusal (bookings ahead, the last open site) says why."""
    if action not in ("close", "reopen"):
        abort(404)
    _site_or_404(public_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write(form) as outcome:
        site = _site_or_404(public_id)
        if action == "close":
            sites.close_site(site, actor=_actor())
        else:
            sites.reopen_site(site, actor=_actor())
    if outcome.ok:
        flash(_("The site is closed.") if action == "close" else _("The site is open."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("backoffice.site_detail", public_id=public_id))


@office.route("/bookings/halls", methods=["GET", "POST"])
@requires("settings")
def halls_list():
    """Every hall, and the form to add one."""
    form = _hall_form()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            halls.add_hall(form.values(), actor=_actor())
        if outcome.ok:
            flash(_("The hall is added."), "success")
            return redirect(url_for("backoffice.halls_list"))
    return render_template(
        "backoffice/bookings/halls.html",
        form=form,
        halls=halls.all_halls(),
        action_form=EmptyForm(),
    )


def _hall_form(hall=None):
    """The hall form: the hall's current values on first view, what was typed after a POST.

    A new hall goes to the site the admin's pages show, or the club's only site, by default.
    """
    current = None
    if request.method == "GET":
        if hall is not None:
            site = hall.location
            current = {"name": hall.name, "capacity": str(hall.capacity or "")}
        else:
            site = staff_sites.current_view(current_user).single or _only(halls.locations())
        current = {**(current or {}), "location": site.public_id if site else ""}
    form = HallForm(data=current)
    sites = halls.locations()
    if hall is not None and not hall.location.active:
        sites = [hall.location, *sites]  # a closed site's hall keeps its site
    form.location.choices = [SelectChoice("", _("Choose a site"))] + [
        SelectChoice(s.public_id, s.name) for s in sites
    ]
    return form


def _only(items):
    return items[0] if len(items) == 1 else None


def _hall_or_404(public_id):
    hall = halls.hall_by_public_id(public_id)
    if hall is None:
        abort(404)
    return hall


@office.route("/bookings/halls/<public_id>", methods=["GET", "POST"])
@requires("settings")
def hall_detail(public_id):
    """Rename a hall or change its capacity or location; deactivate or activate it."""
    hall = _hall_or_404(public_id)
    form = _hall_form(hall)
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            halls.update_hall(hall, form.values(), actor=_actor())
        if outcome.ok:
            flash(_("The hall is saved."), "success")
            return redirect(url_for("backoffice.halls_list"))
    return _render_hall(hall, form, _online_form(hall))


def _render_hall(hall, form, online_form, status=200):
    page = render_template(
        "backoffice/bookings/hall_detail.html",
        hall=hall,
        form=form,
        online_form=online_form,
        action_form=EmptyForm(),
    )
    return page, status


def _online_form(hall):
    """The online booking settings: the hall's own on a GET, what was typed after a POST."""
    current = None
    if request.method == "GET":
        current = {
            "online": hall.online,
            "online_opens": clock_text(hall.online_opens),
            "online_closes": clock_text(hall.online_closes),
            "slot_minutes": str(hall.slot_minutes),
            "days_ahead": str(hall.days_ahead),
            "needs_approval": hall.needs_approval,
        }
    return HallOnlineForm(data=current)


@office.route("/bookings/halls/<public_id>/online", methods=["POST"])
@requires("settings")
def hall_online(public_id):
    """Whether visitors may book the hall online, and how: hours, slot length, days, approval."""
    hall = _hall_or_404(public_id)
    form = _online_form(hall)
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            halls.update_online(hall, form.values(), actor=_actor())
        if outcome.ok:
            flash(_("The hall is saved."), "success")
            return redirect(url_for("backoffice.hall_detail", public_id=public_id))
    hall = _hall_or_404(public_id)
    return _render_hall(hall, _hall_form(hall), form, 400)


@office.route("/bookings/halls/<public_id>/<action>", methods=["POST"])
@requires("settings")
def hall_action(public_id, action):
    """Deactivate or activate a hall."""
    hall = _hall_or_404(public_id)
    if action not in ("activate", "deactivate"):
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write(form) as outcome:
        halls.set_hall_active(hall, action == "activate", actor=_actor())
    if outcome.ok:
        flash(_("The hall is saved."), "success")
    else:
        flash(str(outcome.error.message), "error")
    return redirect(url_for("backoffice.halls_list"))


@office.route("/site", methods=["POST"])
@requires("home")
def site_choose():
    """The header's switch: show one site, the staff member's sites, or every site."""
    form = SiteSwitchForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write(form) as outcome:  # writes the session cookie only
        staff_sites.choose(current_user, form.site.data)
    if not outcome.ok:
        flash_errors(form)
    return redirect(safe_next(form.next.data, url_for("backoffice.home")))


def _switch_for(user):
    """The switch's choices and current choice, or None with fewer than two open sites."""
    if not user.is_authenticated or len(open_locations()) < 2:
        return None
    return {
        "choices": staff_sites.choices(user),
        "current": staff_sites.current_view(user).choice,
    }


@office.app_context_processor
def _site_switch():
    """`site_switch()` for the page header and the pages that say which site they show:
    worked out once per request, when a template first asks."""

    def site_switch():
        if "site_switch" not in g:
            g.site_switch = _switch_for(current_user)
        return g.site_switch

    return {"site_switch": site_switch}
