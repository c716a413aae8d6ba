"""Staff management (admin): list, invite, roles, sites, activation, lifting login locks."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from clubsite import unit_of_work
from clubsite.backoffice.forms import StaffForm, StaffRolesForm, StaffSitesForm
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.locations import open_locations
from clubsite.privacy import policy
from clubsite.staff import service, twofactor
from clubsite.staff.invitations import send_invitation
from clubsite.staff.models import StaffUser
from clubsite.staff.sites import set_staff_sites
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel


def _staff_or_404(public_id):
    user = db.session.scalar(select(StaffUser).where(StaffUser.public_id == public_id))
    if user is None:
        abort(404)
    return user


@office.route("/staff", methods=["GET", "POST"])
@requires("staff.manage")
def staff_list():
    """All staff accounts, and the form to add one."""
    form = StaffForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            user = service.create_staff(
                form.email.data, form.name.data, form.roles.data, actor=Actor.staff(current_user)
            )
            hours = service.INVITE_LINK_HOURS
            token = service.create_setup_token("invite", user, hours=hours)
            # Into the outbox with the account: no account without its link, and the mail
            # waits out a mail server that is away (a failure shows on the admin home).
            send_invitation(user, token, valid_hours=hours)
        if outcome.ok:
            flash(_("The invitation is on its way to the new staff member."), "success")
            return redirect(url_for("backoffice.staff_list"))
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.name)).all()
    locks = {user.id: service.lock_status(user) for user in staff}
    due = policy.due_for_training(staff)
    return render_template(
        "backoffice/staff_list.html",
        form=form,
        staff=staff,
        locks=locks,
        action_form=EmptyForm(),
        due=due,
        due_ids={user.id for user in due},
        two_factor_roles=twofactor.required_roles(),
    )


@office.route("/staff/<public_id>", methods=["GET", "POST"])
@requires("staff.manage")
def staff_detail(public_id):
    """One staff member: roles and account actions."""
    user = _staff_or_404(public_id)
    form = StaffRolesForm(roles=user.role_list)
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            service.set_roles(user, form.roles.data, actor=Actor.staff(current_user))
        if outcome.ok:
            flash(_("Roles saved."), "success")
            return redirect(url_for("backoffice.staff_detail", public_id=public_id))
    return _detail_page(user, form, _sites_form(user))


def _sites_form(user, *, posted=False):
    """The sites as checkboxes (every open site): theirs ticked, or what the admin posted."""
    if posted:
        form = StaffSitesForm()
    else:
        form = StaffSitesForm(formdata=None, sites=[s.public_id for s in user.sites])
    form.sites.choices = [SelectChoice(site.public_id, site.name) for site in open_locations()]
    return form


def _detail_page(user, form, sites_form):
    return render_template(
        "backoffice/staff_detail.html",
        user=user,
        form=form,
        sites_form=sites_form,
        lock=service.lock_status(user),
        action_form=EmptyForm(),
        two_factor=twofactor.is_enabled(user),
        training_due=bool(policy.due_for_training([user])),
    )


@office.route("/staff/<public_id>/sites", methods=["POST"])
@requires("staff.manage")
def staff_sites(public_id):
    """Assign a staff member to sites: their pages show these sites by default."""
    user = _staff_or_404(public_id)
    sites_form = _sites_form(user, posted=True)
    if sites_form.validate_on_submit():
        with unit_of_work.write(sites_form) as outcome:
            set_staff_sites(
                _staff_or_404(public_id), sites_form.sites.data, actor=Actor.staff(current_user)
            )
        if outcome.ok:
            flash(_("Sites saved."), "success")
            return redirect(url_for("backoffice.staff_detail", public_id=public_id))
    user = _staff_or_404(public_id)
    return _detail_page(user, StaffRolesForm(formdata=None, roles=user.role_list), sites_form)


@office.route("/staff/<public_id>/<action>", methods=["POST"])
@requires("staff.manage")
def staff_action(public_id, action):
    """Deactivate, activate or unlock an account."""
    user = _staff_or_404(public_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if action not in ("deactivate", "activate", "unlock"):
        abort(404)
    with unit_of_work.write(form) as outcome:
        if action == "unlock":
            service.unlock(user, actor=Actor.staff(current_user))
        else:
            service.set_active(user, action == "activate", actor=Actor.staff(current_user))
    if outcome.error is not None:  # the last active admin cannot be deactivated
        flash(outcome.error.message, "error")
    elif action == "deactivate":
        flash(_("The account is deactivated and its sessions have ended."), "success")
    elif action == "activate":
        flash(_("The account is active again."), "success")
    else:
        flash(_("The login lock has been lifted."), "success")
    return redirect(url_for("backoffice.staff_detail", public_id=public_id))


@home_panel("staff.manage", _l("Staff training due"), "backoffice/panels/training_due.html", 30)
def training_due_panel(user):
    """Active staff who must (re)take the data-protection training before seeing personal data."""
    staff = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
    ).all()
    return {"due": policy.due_for_training(staff)}
