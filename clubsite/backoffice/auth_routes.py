"""Login, logout, the first-admin link, invitations and password change."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clubsite.backoffice import bp
from clubsite.backoffice.forms import (
    ChangePasswordForm,
    EmptyForm,
    FirstAdminForm,
    LoginForm,
    SetPasswordForm,
)
from clubsite.backoffice.guard import public, requires
from clubsite.extensions import db, limiter
from clubsite.formtools import apply_service_error
from clubsite.privacy import audit
from clubsite.staff import auth, service
from clubsite.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
def login():
    """Staff login: the same answer for unknown addresses, wrong passwords and locks."""
    if current_user.is_authenticated:
        return redirect(url_for("backoffice.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except service.StaffError as exc:
            db.session.commit()  # keep the failure count and the audit entry
            form.password.errors.append(exc.message)
        else:
            if not auth.log_in(user):
                # Two-factor sign-in: the code is the second step (twofactor_routes).
                return redirect(url_for("backoffice.login_code", next=form.next.data or None))
            return redirect(safe_next(form.next.data, url_for("backoffice.home")))
    return render_template("backoffice/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("account")
def logout():
    """End the session on the server and in the browser."""
    if EmptyForm().validate_on_submit():
        audit.record("logout", subject=current_user.public_id)
        auth.log_out()
        flash(_("You have logged out."), "info")
    return redirect(url_for("backoffice.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour")
def first_admin(token):
    """The one-time link printed by `make run` when no staff exists."""
    if service.find_setup_token(token, "first-admin") is None or service.staff_count() > 0:
        return render_template("backoffice/link_invalid.html"), 404
    form = FirstAdminForm()
    if form.validate_on_submit():
        try:
            user = service.create_first_admin(
                token, form.email.data, form.name.data, form.password.data
            )
        except service.StaffError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            auth.log_in(user)
            flash(_("Welcome! Your administrator account is ready."), "success")
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/first_admin.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour")
def accept_invitation(token):
    """A staff member sets their password from the invitation link."""
    if service.find_setup_token(token, "invite") is None:
        return render_template("backoffice/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = service.accept_invitation(token, form.password.data)
        except service.StaffError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            auth.log_in(user)
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/set_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account")
def change_password():
    """Change one's own password; every session ends and this one starts anew."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data)
        except service.StaffError as exc:
            db.session.rollback()
            apply_service_error(form, exc)
        else:
            db.session.commit()
            # This browser has already given the second factor, if any.
            auth.log_in(current_user._get_current_object(), second_factor_done=True)
            flash(
                _("Your password has been changed. Other sessions have been logged out."), "success"
            )
            return redirect(url_for("backoffice.home"))
    return render_template("backoffice/change_password.html", form=form)
