"""Login, logout, the first-admin link, invitations and password change."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.backoffice.forms import ChangePasswordForm, FirstAdminForm, LoginForm, SetPasswordForm
from clubsite.domain import Actor
from clubsite.extensions import limiter
from clubsite.privacy import audit
from clubsite.staff import auth, service
from clubsite.urls import safe_next
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import public, requires


@office.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
def login():
    """Staff login: the same answer for unknown addresses, wrong passwords and locks."""
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        attempt = service.check_credentials(form.email.data, form.password.data)
        with unit_of_work.write(form) as outcome:
            # A refusal keeps its failure count; its message goes under the password.
            complete = auth.log_in(service.settle_login(attempt))
        if outcome.ok and not complete:
            # Two-factor sign-in: the code is the second step (twofactor_routes).
            return redirect(url_for("backoffice.login_code", next=form.next.data or None))
        if outcome.ok:
            return redirect(safe_next(form.next.data, url_for("backoffice.home")))
    return render_template("backoffice/login.html", form=form)


@office.route("/logout", methods=["POST"])
@requires("account")
def logout():
    """End the session on the server and in the browser."""
    if EmptyForm().validate_on_submit():
        with unit_of_work.write():
            audit.record("logout", subject=current_user.public_id, actor=Actor.staff(current_user))
            auth.log_out()
        flash(_("You have logged out."), "info")
    return redirect(url_for("backoffice.login"))


@office.route("/setup/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour")
def first_admin(token):
    """The one-time link printed by `make run` when no staff exists."""
    if service.find_setup_token(token, "first-admin") is None or service.staff_count() > 0:
        return render_template("backoffice/link_invalid.html"), 404
    form = FirstAdminForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            user = service.create_first_admin(
                token, form.email.data, form.name.data, form.password.data
            )
            auth.log_in(user)
        if outcome.ok:
            flash(_("Welcome! Your administrator account is ready."), "success")
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/first_admin.html", form=form)


@office.route("/invite/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour")
def accept_invitation(token):
    """A staff member sets their password from the invitation link."""
    if service.find_setup_token(token, "invite") is None:
        return render_template("backoffice/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            auth.log_in(service.accept_invitation(token, form.password.data))
        if outcome.ok:
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/set_password.html", form=form)


@office.route("/account/password", methods=["GET", "POST"])
@requires("account")
def change_password():
    """Change one's own password; every session ends and this one starts anew."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            user = current_user._get_current_object()
            service.change_password(user, form.current_password.data, form.password.data)
            # This browser has already given the second factor, if any.
            auth.log_in(user, second_factor_done=True)
        if outcome.ok:
            flash(
                _("Your password has been changed. Other sessions have been logged out."), "success"
            )
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/change_password.html", form=form)
