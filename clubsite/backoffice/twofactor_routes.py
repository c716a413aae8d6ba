"""Two-factor sign-in: the login's second step, setting it up, turning it off, rules per role."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from clubsite import unit_of_work
from clubsite.backoffice.forms import TwoFactorCodeForm, TwoFactorRolesForm
from clubsite.domain import Actor
from clubsite.extensions import db, limiter
from clubsite.staff import auth, recovery, service, twofactor
from clubsite.staff.models import StaffUser
from clubsite.urls import safe_next
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import public, requires
from clubsite.web.panels import home_panel

PENDING_KEY = "totp_setup"  # the secret being set up, encrypted (see twofactor.seal_pending)
# Views a staff member who must set up two-factor sign-in may still open.
SETUP_EXEMPT = {
    "backoffice.twofactor_setup",
    "backoffice.logout",
    "backoffice.login",
    "backoffice.login_code",
}


@office.before_app_request
def require_two_factor_setup():
    """A staff member whose role requires two-factor sign-in sets it up before anything else."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None or not getattr(view, "required_permission", None):
        return None
    if request.endpoint in SETUP_EXEMPT or not current_user.is_authenticated:
        return None
    if not twofactor.must_set_up(current_user):
        return None
    # Only the path: a query string may hold what was searched for.
    return redirect(url_for("backoffice.twofactor_setup", next=request.path))


@office.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute; 100 per hour", methods=["POST"])
def login_code():
    """The login's second step: the code from the authenticator app."""
    user = auth.pending_user()
    if user is None:
        return redirect(url_for("backoffice.login"))
    form = TwoFactorCodeForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        codes_left = None
        with unit_of_work.write(form) as outcome:
            # A refusal keeps its failure count, the spent step and a lock (keeps_changes);
            # a recovery code is spent in this transaction, the one that logs in.
            codes_left = twofactor.check_login_code(user, form.code.data)
            auth.finish_second_factor(user)
        if isinstance(outcome.error, service.LoginLocked):
            # The lock is recorded; the waiting session ends in a short write of its own.
            with unit_of_work.write():
                auth.log_out()
            flash(outcome.error.message, "error")
            return redirect(url_for("backoffice.login"))
        if outcome.ok:
            if codes_left is not None:
                _flash_codes_left(codes_left)
            return redirect(safe_next(form.next.data, url_for("backoffice.home")))
    return render_template("backoffice/twofactor/login_code.html", form=form)


def _flash_codes_left(left):
    """After a login with a recovery code: how many are left, and what to do when few are."""
    flash(
        ngettext(
            "You logged in with a recovery code. %(num)d unused code is left.",
            "You logged in with a recovery code. %(num)d unused codes are left.",
            left,
        ),
        "warning" if left <= recovery.LOW_AFTER else "info",
    )
    if left <= recovery.LOW_AFTER:
        flash(
            _(
                "Make new recovery codes on your two-factor sign-in page, or ask the club's "
                "manager to reset two-factor sign-in if your phone is lost."
            ),
            "warning",
        )


@office.route("/account/two-factor", methods=["GET", "POST"])
@requires("account")
def twofactor_setup():
    """Set up two-factor sign-in (scan, then confirm with a code), or see that it is on."""
    user = current_user._get_current_object()
    required = twofactor.is_required(user)
    if twofactor.is_enabled(user):
        return render_template(
            "backoffice/twofactor/manage.html",
            form=TwoFactorCodeForm(),
            renew_form=TwoFactorCodeForm(prefix="renew"),
            required=required,
            codes_left=recovery.remaining(user),
            low_after=recovery.LOW_AFTER,
        )
    secret = twofactor.open_pending(user, session.get(PENDING_KEY))
    if secret is None:
        secret = twofactor.new_secret()
        session[PENDING_KEY] = twofactor.seal_pending(user, secret)
    form = TwoFactorCodeForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            codes = twofactor.enable(user, secret, form.code.data)
            auth.log_in(user, second_factor_done=True)
        if outcome.ok:
            flash(_("Two-factor sign-in is on. Other sessions have been logged out."), "success")
            # Shown in this response only: the codes are stored hashed and never shown again.
            return render_template(
                "backoffice/twofactor/recovery_codes.html",
                codes=codes,
                next_url=safe_next(form.next.data, url_for("backoffice.home")),
            )
    return render_template(
        "backoffice/twofactor/setup.html",
        form=form,
        qr=twofactor.qr_svg(twofactor.provisioning_uri(user, secret)),
        secret=twofactor.format_secret(secret),
        required=required,
    )


@office.route("/account/two-factor/off", methods=["POST"])
@requires("account")
@limiter.limit("10 per minute", methods=["POST"])
def twofactor_disable():
    """Turn two-factor sign-in off with a current code."""
    user = current_user._get_current_object()
    form = TwoFactorCodeForm()
    if twofactor.is_enabled(user) and form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            twofactor.disable(user, form.code.data)
        if outcome.ok:
            flash(_("Two-factor sign-in is off."), "success")
        else:
            flash(outcome.error.message, "error")
    return redirect(url_for("backoffice.twofactor_setup"))


@office.route("/account/two-factor/recovery-codes", methods=["POST"])
@requires("account")
@limiter.limit("10 per minute", methods=["POST"])
def twofactor_recovery_codes():
    """Make a new set of recovery codes with a current app code; the old set stops working."""
    user = current_user._get_current_object()
    form = TwoFactorCodeForm(prefix="renew")
    if not twofactor.is_enabled(user) or not form.validate_on_submit():
        return redirect(url_for("backoffice.twofactor_setup"))
    with unit_of_work.write(form) as outcome:
        codes = twofactor.renew_recovery_codes(user, form.code.data)
    if not outcome.ok:
        flash(outcome.error.message, "error")
        return redirect(url_for("backoffice.twofactor_setup"))
    return render_template(
        "backoffice/twofactor/recovery_codes.html",
        codes=codes,
        next_url=url_for("backoffice.twofactor_setup"),
    )


@office.route("/staff/two-factor", methods=["GET", "POST"])
@requires("staff.manage")
def twofactor_roles():
    """Admin setting: the roles whose staff must use two-factor sign-in."""
    form = TwoFactorRolesForm(roles=sorted(twofactor.required_roles()))
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            twofactor.set_required_roles(form.roles.data, actor=Actor.staff(current_user))
        if outcome.ok:
            flash(
                _("Saved. Staff of these roles set up two-factor sign-in at their next step."),
                "success",
            )
            return redirect(url_for("backoffice.twofactor_roles"))
    staff = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name)
    ).all()
    missing = [user for user in staff if twofactor.must_set_up(user)]
    return render_template("backoffice/twofactor/roles.html", form=form, missing=missing)


@office.route("/staff/<public_id>/two-factor/reset", methods=["POST"])
@requires("staff.manage")
def twofactor_reset(public_id):
    """Remove a staff member's two-factor secret (a lost phone); they set it up anew."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.public_id == public_id))
    if user is None:
        abort(404)
    if EmptyForm().validate_on_submit() and twofactor.is_enabled(user):
        with unit_of_work.write():
            twofactor.reset(user, actor=Actor.staff(current_user))
        flash(
            _("Two-factor sign-in has been removed. The staff member can set it up again."),
            "success",
        )
    return redirect(url_for("backoffice.staff_detail", public_id=public_id))


@home_panel("account", _l("Two-factor sign-in"), "backoffice/panels/two_factor.html", order=98)
def two_factor_panel(user):
    """Whether the staff member's logins need a code, with the way to change it."""
    enabled = twofactor.is_enabled(user)
    return {
        "enabled": enabled,
        "codes_left": recovery.remaining(user) if enabled else None,
        "low_after": recovery.LOW_AFTER,
    }
