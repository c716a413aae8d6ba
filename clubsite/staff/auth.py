"""Flask-Login wiring: the cookie holds only a session token; the server decides if it is valid.

log_in and log_out write: call them inside the action's unit_of_work.write() block.
"""

from flask import session
from flask_login import login_user, logout_user

from clubsite.extensions import login_manager
from clubsite.staff import service

# Kept across the session reset at login/logout: a language choice is not a secret.
_KEPT_KEYS = ("lang",)


@login_manager.user_loader
def load_user(public_id):
    """The logged-in staff member, if the server-side session behind the cookie still lives."""
    user = service.load_session(session.get("sid"))
    if user is None or user.public_id != public_id:
        return None
    return user


def _reset_session():
    """Start a new cookie session, keeping only the harmless keys."""
    kept = {key: session[key] for key in _KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)


def log_in(user, *, second_factor_done=None):
    """Rotate the session and bind it to a new server-side session record.

    With two-factor sign-in set up, the new session waits for the code (the login's second
    step) and logs nobody in yet. Returns True if the staff member is now fully logged in.
    """
    if second_factor_done is None:
        second_factor_done = user.totp_secret is None
    _reset_session()
    token = service.start_session(user, second_factor_done=second_factor_done)
    session["sid"] = token
    if second_factor_done:
        login_user(user)
    return second_factor_done


def pending_user():
    """The staff member whose login waits for the two-factor code in this browser, or None."""
    return service.load_session(session.get("sid"), pending=True)


def finish_second_factor(user):
    """The code was right: end the waiting session and start a full one (a new token)."""
    service.end_session(session.get("sid"))
    log_in(user, second_factor_done=True)


def log_out():
    """End the server-side session and clear the cookie session."""
    service.end_session(session.get("sid"))
    logout_user()
    _reset_session()
