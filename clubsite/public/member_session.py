"""The member's "My data" session: a public id in the signed session cookie, for 30 minutes."""

import time
from functools import wraps

from flask import flash, redirect, session, url_for
from flask_babel import gettext as _

from clubsite.members.service import member_by_public_id

SESSION_KEY = "member_pid"
UNTIL_KEY = "member_until"
SESSION_MINUTES = 30


def open_member_session(member):
    """Let this browser see the member's data for the next 30 minutes."""
    session[SESSION_KEY] = member.public_id
    session[UNTIL_KEY] = int(time.time()) + SESSION_MINUTES * 60


def close_member_session():
    """Forget the member in this browser."""
    session.pop(SESSION_KEY, None)
    session.pop(UNTIL_KEY, None)


def session_until():
    """Epoch seconds at which the session ends (0 if none)."""
    return int(session.get(UNTIL_KEY) or 0)


def current_member():
    """The member whose session this is, or None (expired, erased, or never opened)."""
    public_id = session.get(SESSION_KEY)
    if not public_id:
        return None
    if session_until() <= time.time():
        close_member_session()
        return None
    member = member_by_public_id(public_id)
    if member is None:
        close_member_session()
    return member


def member_required(view):
    """Run the view with the session's member, or send the visitor to ask for a new link."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        member = current_member()
        if member is None:
            flash(_("Your session has ended. Ask for a new link to see your data."), "info")
            return redirect(url_for("public.my_data"))
        return view(member, *args, **kwargs)

    return wrapped
