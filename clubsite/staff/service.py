"""Staff accounts: creation, login with throttling, server-side sessions, one-time links."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from clubsite import unit_of_work
from clubsite.database import as_utc, utcnow
from clubsite.domain import SYSTEM, Actor, DomainError
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy.roles import ROLES
from clubsite.privacy.validation import ValidationError, validate_email, validate_name
from clubsite.security import token_hash
from clubsite.staff.models import LoginThrottle, SetupToken, StaffSession, StaffUser
from clubsite.staff.passwords import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)

SETUP_LINK_HOURS = 1
INVITE_LINK_HOURS = 72
PENDING_CODE_MINUTES = 5  # time to type the two-factor code after the password


class StaffError(DomainError):
    """A refused staff action; .message is for the user, .field names the form field."""


class LoginFailed(StaffError):
    """Wrong login name or password (deliberately not saying which)."""

    keeps_changes = True  # the failure counts towards the lock


class LoginLocked(StaffError):
    """Too many failures for this login name; try again later."""

    keeps_changes = True


def _throttle_key(email, kind="login"):
    """Keyed hash of the login name, so the throttle table holds no addresses.

    kind "login" counts wrong passwords, "code" wrong two-factor codes: a correct password must
    not reset the count of wrong codes.
    """
    key = current_app.config["KEY_RING"].index_key
    message = kind.encode() + b"\x00" + email.strip().lower().encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def staff_count():
    """How many staff accounts exist."""
    return db.session.scalar(select(func.count(StaffUser.id)))


def find_by_email(email):
    """The staff account with this login email, or None."""
    return db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def validate_roles(roles):
    """Refuse unknown roles and an empty set."""
    roles = [r for r in roles if r]
    if not roles or any(r not in ROLES for r in roles):
        raise StaffError(_l("Choose one or more of the listed roles."), "roles")
    return ",".join(dict.fromkeys(roles))


def create_staff(email, name, roles, password=None, *, language="lv", actor=SYSTEM):
    """Create an active staff account; a password is optional for invitations."""
    try:
        email = validate_email(email)
    except ValidationError as exc:
        raise StaffError(exc.message, "email") from exc
    try:
        name = validate_name(name)
    except ValidationError as exc:
        raise StaffError(exc.message, "name") from exc
    role_text = validate_roles(roles)
    if find_by_email(email):
        raise StaffError(_l("A staff account with this email already exists."), "email")
    user = StaffUser(email=email, name=name, roles=role_text, language=language)
    if password is not None:
        _set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "staff.created", subject=user.public_id, fields=["email", "name", "roles"], actor=actor
    )
    return user


def _set_password(user, password):
    try:
        check_password_policy(password, user_inputs=[user.email, user.name])
    except PasswordPolicyError as exc:
        raise StaffError(exc.message, "password") from exc
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


@dataclass
class LoginAttempt:
    """A checked login, not yet recorded: the slow password check runs outside the write."""

    email: str
    password: str
    user: StaffUser | None
    locked: bool
    correct: bool
    had_failures: bool = False  # a throttle row exists: a success must clear it
    rehash: bool = False  # the hash uses older parameters: store a new one


def check_credentials(email, password, *, now=None):
    """Check a login (reads only): the argon2 work happens here, outside any write lock.

    Known and unknown login names take the same path: same throttle, same argon2 work, same
    message, so the form does not reveal which addresses have accounts.
    """
    throttle = db.session.get(LoginThrottle, _throttle_key(email))
    if locked_until(email, now=now):
        verify_password(None, password)
        return LoginAttempt(email, password, None, locked=True, correct=False)
    user = find_by_email(email) if len(email) <= 254 else None
    correct = bool(verify_password(user.password_hash if user else None, password) and user.active)
    return LoginAttempt(
        email,
        password,
        user,
        locked=False,
        correct=correct,
        had_failures=throttle is not None,
        rehash=correct and needs_rehash(user.password_hash),
    )


def settle_login(attempt, *, now=None):
    """Record a checked login: clear or count failures; the staff member, or LoginFailed/Locked."""
    if attempt.locked:
        raise LoginLocked(_l("Too many failed attempts. Try again in a few minutes."), "password")
    user = attempt.user
    if attempt.correct:
        if attempt.had_failures:
            clear_failures(attempt.email)
        if attempt.rehash:
            user.password_hash = hash_password(attempt.password)
        return user
    record_failure(attempt.email, user, now=now)
    raise LoginFailed(_l("The email or password is not correct."), "password")


def authenticate(email, password, *, now=None):
    """Return the staff member for a correct login; raise LoginFailed or LoginLocked otherwise."""
    return settle_login(check_credentials(email, password, now=now), now=now)


def locked_until(email, *, kind="login", now=None):
    """When the lock on this login name ends, or None if it is not locked."""
    throttle = db.session.get(LoginThrottle, _throttle_key(email, kind))
    if throttle and throttle.locked_until and as_utc(throttle.locked_until) > (now or utcnow()):
        return as_utc(throttle.locked_until)
    return None


def record_failure(email, user, *, kind="login", now=None):
    """Count one failed attempt (password or code); lock the name after too many. True if locked."""
    now = now or utcnow()
    cfg = current_app.config
    key = _throttle_key(email, kind)
    throttle = db.session.get(LoginThrottle, key)
    if throttle is None:
        throttle = LoginThrottle(key_hash=key, failures=0)
        db.session.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    subject = user.public_id if user else None
    prefix = "login" if kind == "login" else f"login.{kind}"
    audit.record(f"{prefix}.failed", subject=subject, actor=SYSTEM)
    if throttle.failures < cfg["LOGIN_MAX_FAILURES"]:
        return False
    throttle.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    throttle.failures = 0
    audit.record(f"{prefix}.locked", subject=subject, actor=SYSTEM)
    return True


def clear_failures(email, *, kind="login"):
    """Forget the failed attempts of a login name (after a success)."""
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.key_hash == _throttle_key(email, kind))
    )


def lock_status(user, *, now=None):
    """When the account's login lock (password or code) ends, or None if it is not locked."""
    ends = [locked_until(user.email, kind=kind, now=now) for kind in ("login", "code")]
    return max((end for end in ends if end), default=None)


def unlock(user, *, actor=SYSTEM):
    """Lift a login lock (admin action)."""
    for kind in ("login", "code"):
        clear_failures(user.email, kind=kind)
    audit.record("staff.unlocked", subject=user.public_id, actor=actor)


def start_session(user, *, second_factor_done=True):
    """Create a fresh server-side session and return its secret token for the cookie.

    A session still waiting for the two-factor code logs nobody in (see load_session).
    """
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            token_hash=token_hash(token), staff_id=user.id, second_factor_done=second_factor_done
        )
    )
    action = "login" if second_factor_done else "login.password_ok"
    audit.record(action, subject=user.public_id, actor=Actor.staff(user))
    return token


def load_session(token, *, now=None, pending=False):
    """The staff member behind a session token, or None if it ended, idled or aged out.

    pending=False wants a fully logged-in session; pending=True one that still waits for the
    two-factor code, which lives only a few minutes.
    """
    if not token:
        return None
    now = now or utcnow()
    # One query for both: every back-office page starts here.
    found = db.session.execute(
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    record, user = found
    if record.second_factor_done == pending:
        return None
    cfg = current_app.config
    idle = now - as_utc(record.last_seen_at) > timedelta(minutes=cfg["IDLE_TIMEOUT_MINUTES"])
    aged = now - as_utc(record.created_at) > timedelta(hours=cfg["ABSOLUTE_TIMEOUT_HOURS"])
    if pending:
        aged = now - as_utc(record.created_at) > timedelta(minutes=PENDING_CODE_MINUTES)
    stored_hash = record.token_hash
    if idle or aged or not user.active:
        with unit_of_work.write():
            db.session.execute(delete(StaffSession).where(StaffSession.token_hash == stored_hash))
        return None
    # Write at most once a minute, in a short write of its own: a page view is a read.
    if now - as_utc(record.last_seen_at) > timedelta(seconds=60):
        with unit_of_work.write():
            db.session.execute(
                update(StaffSession)
                .where(StaffSession.token_hash == stored_hash)
                .values(last_seen_at=now)
            )
    return user


def end_session(token):
    """Delete one session (logout)."""
    if token:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))


def end_all_sessions(user):
    """Delete every session of a staff member (password change, deactivation); how many."""
    ended = db.session.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
    return ended.rowcount


def change_password(user, current_password, new_password):
    """Change a password after checking the current one; ends every other session."""
    if not verify_password(user.password_hash, current_password):
        raise StaffError(_l("The current password is not correct."), "current_password")
    _set_password(user, new_password)
    end_all_sessions(user)
    audit.record(
        "staff.password_changed",
        subject=user.public_id,
        fields=["password"],
        actor=Actor.staff(user),
    )


def _is_active_admin(user):
    return user.active and "admin" in (user.roles or "").split(",")


def _check_not_last_admin(user):
    """Refuse to leave the club without an active admin (nobody could manage staff then)."""
    if not _is_active_admin(user):
        return
    others = db.session.scalars(
        select(StaffUser).where(StaffUser.active.is_(True), StaffUser.id != user.id)
    ).all()
    if not any(_is_active_admin(other) for other in others):
        raise StaffError(
            _l(
                "This is the last active admin. Give another staff member the admin role "
                "first, so that someone can still manage staff."
            ),
            "roles",
        )


def set_active(user, active, *, actor=SYSTEM):
    """Activate or deactivate an account; deactivation ends its sessions at once."""
    if not active:
        _check_not_last_admin(user)
    user.active = active
    if not active:
        end_all_sessions(user)
    audit.record(
        "staff.activated" if active else "staff.deactivated", subject=user.public_id, actor=actor
    )


def set_roles(user, roles, *, actor=SYSTEM):
    """Replace a staff member's roles."""
    role_text = validate_roles(roles)
    if "admin" not in role_text.split(","):
        _check_not_last_admin(user)
    user.roles = role_text
    end_all_sessions(user)
    audit.record("staff.roles_changed", subject=user.public_id, fields=["roles"], actor=actor)


def create_setup_token(kind="first-admin", staff=None, hours=SETUP_LINK_HOURS):
    """A random one-time token (returned once; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        SetupToken(
            token_hash=token_hash(token),
            kind=kind,
            staff_id=staff.id if staff else None,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    return token


def find_setup_token(token, kind, *, now=None):
    """The unused, unexpired token of this kind, or None."""
    if not token or len(token) > 100:
        return None
    record = db.session.get(SetupToken, token_hash(token))
    if record is None or record.kind != kind or record.used_at is not None:
        return None
    if as_utc(record.expires_at) <= (now or utcnow()):
        return None
    return record


def create_first_admin(token, email, name, password):
    """Redeem the first-admin link: only while no staff exists, only once."""
    record = find_setup_token(token, "first-admin")
    if record is None or staff_count() > 0:
        raise StaffError(_l("This link has expired or has already been used."))
    user = create_staff(email, name, ["admin"], password)
    record.used_at = utcnow()
    return user


def accept_invitation(token, password):
    """Redeem an invitation link by setting a password."""
    record = find_setup_token(token, "invite")
    if record is None:
        raise StaffError(_l("This link has expired or has already been used."))
    user = db.session.get(StaffUser, record.staff_id)
    _set_password(user, password)
    record.used_at = utcnow()
    audit.record("staff.invitation_accepted", subject=user.public_id, actor=Actor.staff(user))
    return user
