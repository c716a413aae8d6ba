"""Deny by default: every back-office view names the permission it needs, checked here."""

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from clubsite.privacy.policy import policy_current
from clubsite.privacy.roles import PERSONAL_DATA_PERMISSIONS


def requires(permission):
    """Mark a view as needing a permission (see clubsite.privacy.roles)."""

    def decorate(view):
        view.required_permission = permission

        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorate


def public(view):
    """Mark a back-office view that needs no login (the login page itself, setup links)."""
    view.is_public = True
    return view


def check_access():
    """before_request for the back office: log in first, then the view's permission."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return None  # 404 or 405 follows
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    permission = getattr(view, "required_permission", None)
    if permission is None or not current_user.can(permission):
        abort(403)
    if permission in PERSONAL_DATA_PERMISSIONS and not policy_current(current_user):
        # The data layer refuses too; this sends the staff member where they can fix it.
        return redirect(url_for("backoffice.policy_training", next=request.path))
    return None
