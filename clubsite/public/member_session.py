"""The member's "My data" session, held on the server like a staff session.

The signed cookie holds a random token (and, for the page, the member's public id and the
session's end); the server keeps only the token's hash (MemberSession). A session ends after
IDLE_MINUTES without a request, SESSION_MINUTES after it was opened, when the member closes
it, and for every browser when the member's address changes: a copied cookie is worth
nothing from then on.
"""

import secrets
import time
from datetime import timedelta
from functools import wraps

from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from clubsite import unit_of_work
from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.privacy.models import Member
from clubsite.public.models import MemberSession
from clubsite.security import token_hash

SESSION_KEY = "member_pid"
UNTIL_KEY = "member_until"
TOKEN_KEY = "member_sid"  # noqa: S105 (the cookie key, not a secret)
SESSION_MINUTES = 30  # absolute: a link opens the page for half an hour at most
IDLE_MINUTES = 15
TOUCH_SECONDS = 60  # last_seen_at is written at most once a minute


def open_member_session(member, *, now=None):
    """Let this browser see the member's data (call it inside the action's write block)."""
    now = now or utcnow()
    close_member_session()
    # Sessions past their absolute end are forgotten whenever one opens: no job needed.
    absolute = timedelta(minutes=SESSION_MINUTES)
    db.session.execute(delete(MemberSession).where(MemberSession.created_at < now - absolute))
    token = secrets.token_urlsafe(32)
    db.session.add(
        MemberSession(
            token_hash=token_hash(token), member_id=member.id, created_at=now, last_seen_at=now
        )
    )
    session[TOKEN_KEY] = token
    session[SESSION_KEY] = member.public_id
    session[UNTIL_KEY] = int(now.timestamp()) + SESSION_MINUTES * 60


def _forget():
    for key in (TOKEN_KEY, SESSION_KEY, UNTIL_KEY):
        if key in session:  # popping a missing key would still rewrite the cookie
            session.pop(key)


def close_member_session():
    """End this browser's session, on the server too (a nested write if inside one)."""
    token = session.get(TOKEN_KEY)
    _forget()
    if token:
        with unit_of_work.write():
            db.session.execute(
                delete(MemberSession).where(MemberSession.token_hash == token_hash(token))
            )


def end_member_sessions(member):
    """End every session of the member, in every browser (inside the caller's write block)."""
    db.session.execute(delete(MemberSession).where(MemberSession.member_id == member.id))


def session_until():
    """Epoch seconds at which the session ends at the latest (0 if none)."""
    return int(session.get(UNTIL_KEY) or 0)


def current_member(*, now=None):
    """The member whose session this is, or None (closed, idle, expired, erased, never opened)."""
    token, public_id = session.get(TOKEN_KEY), session.get(SESSION_KEY)
    if not token or not public_id:
        _forget()
        return None
    if session_until() <= time.time():
        close_member_session()
        return None
    found = db.session.execute(
        select(MemberSession, Member)
        .join(Member, Member.id == MemberSession.member_id)
        .where(MemberSession.token_hash == token_hash(token))
    ).first()
    if found is None or found[1].public_id != public_id:
        _forget()
        return None
    record, member = found
    now = now or utcnow()
    idle = now - as_utc(record.last_seen_at) > timedelta(minutes=IDLE_MINUTES)
    aged = now - as_utc(record.created_at) > timedelta(minutes=SESSION_MINUTES)
    if idle or aged:
        close_member_session()
        return None
    if now - as_utc(record.last_seen_at) > timedelta(seconds=TOUCH_SECONDS):
        stored_hash = record.token_hash
        with unit_of_work.write():  # a short write of its own: a page view is a read
            db.session.execute(
                update(MemberSession)
                .where(MemberSession.token_hash == stored_hash)
                .values(last_seen_at=now)
            )
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
