"""Two-factor sign-in for staff: time-based codes (TOTP) from an authenticator app.

The secret is stored encrypted; each code works once (its time step must be newer than the last
accepted one); wrong codes count towards a lock like wrong passwords do. The QR code is drawn
here, as inline SVG, so the secret never goes to a third-party service.
"""

import base64
import binascii
import hmac
import io
import re
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from clubsite.database import utcnow
from clubsite.domain import SYSTEM, Actor
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.privacy.crypto import CryptoError, decrypt_field, encrypt_field
from clubsite.privacy.roles import ROLES
from clubsite.staff import recovery, service
from clubsite.staff.models import RoleSetting

TABLE = "staff_user"
# One 30-second step either side, for phone clocks that drift a little.
VALID_WINDOW = 1
_CODE_RE = re.compile(r"[0-9]{6}")
_STYLE_RE = re.compile(r"\sstyle=\"[^\"]*\"")

MSG_WRONG_CODE = _l("The code is not correct, or it has already been used. Wait for the next one.")


def is_enabled(user):
    """True if the staff member has two-factor sign-in set up."""
    return user.totp_secret is not None


def new_secret():
    """A fresh random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(user, secret):
    """The otpauth:// link an authenticator app reads from the QR code."""
    issuer = current_app.config.get("CLUB_NAME") or "clubsite"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(text):
    """The text as a QR code in inline SVG (no style attributes, so the CSP allows it)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=5, border=4, omitsize=True
    )
    svg = _STYLE_RE.sub("", out.getvalue().decode("utf-8"))
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" ', 1))  # noqa: S704


def format_secret(secret):
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def seal_pending(user, secret):
    """A secret being set up, encrypted for this staff member (kept in the cookie session)."""
    ring = current_app.config["KEY_RING"]
    blob = encrypt_field(ring, secret, table=TABLE, column="totp_pending", row_id=user.public_id)
    return base64.urlsafe_b64encode(blob).decode("ascii")


def open_pending(user, sealed):
    """The secret sealed by seal_pending for this staff member, or None."""
    if not sealed:
        return None
    ring = current_app.config["KEY_RING"]
    try:
        blob = base64.urlsafe_b64decode(sealed.encode("ascii"))
        return decrypt_field(ring, blob, table=TABLE, column="totp_pending", row_id=user.public_id)
    except (CryptoError, binascii.Error, ValueError):
        return None


def _secret(user):
    ring = current_app.config["KEY_RING"]
    return decrypt_field(
        ring, user.totp_secret, table=TABLE, column="totp_secret", row_id=user.public_id
    )


def _matching_step(secret, code, now):
    """The time step whose code this is (within the window), or None."""
    code = "".join((code or "").split())
    if not _CODE_RE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(user, code, *, now=None):
    """True for a right code not used before; the code's step is then spent."""
    if not is_enabled(user):
        return False
    step = _matching_step(_secret(user), code, now or utcnow())
    if step is None or step <= (user.totp_last_step or -1):
        return False
    user.totp_last_step = step
    return True


def enable(user, secret, code, *, now=None):
    """Turn two-factor sign-in on after the app has shown the right code for the new secret.

    Returns the new recovery codes, to be shown once.
    """
    step = _matching_step(secret, code, now or utcnow())
    if step is None:
        raise service.StaffError(MSG_WRONG_CODE, "code")
    ring = current_app.config["KEY_RING"]
    user.totp_secret = encrypt_field(
        ring, secret, table=TABLE, column="totp_secret", row_id=user.public_id
    )
    user.totp_last_step = step
    service.end_all_sessions(user)
    audit.record(
        "staff.two_factor_enabled",
        subject=user.public_id,
        fields=["totp_secret"],
        actor=Actor.staff(user),
    )
    return recovery.generate(user, now=now)


def renew_recovery_codes(user, code, *, now=None):
    """A new set of recovery codes (the old set stops working), after a current app code."""
    if not verify_code(user, code, now=now):
        raise service.StaffError(MSG_WRONG_CODE, "code")
    return recovery.generate(user, now=now)


def disable(user, code, *, now=None):
    """Turn two-factor sign-in off, with a current code (not allowed if the role requires it)."""
    if is_required(user):
        raise service.StaffError(
            _l("Your role requires two-factor sign-in, so it cannot be turned off."), "code"
        )
    if not verify_code(user, code, now=now):
        raise service.StaffError(MSG_WRONG_CODE, "code")
    _clear(user)
    audit.record(
        "staff.two_factor_disabled",
        subject=user.public_id,
        fields=["totp_secret", "recovery_codes"],
        actor=Actor.staff(user),
    )


@dataclass(frozen=True)
class ResetReport:
    """What a reset removed."""

    had_secret: bool
    codes_removed: int  # unused recovery codes
    sessions_ended: int


def reset(user, *, actor=SYSTEM, detail=""):
    """Admin action for a lost phone: remove the secret and the recovery codes and end the
    staff member's sessions; they log in with the password and set it up anew."""
    had_secret = is_enabled(user)
    codes = _clear(user)
    sessions = service.end_all_sessions(user)
    audit.record(
        "staff.two_factor_reset",
        subject=user.public_id,
        fields=["totp_secret", "recovery_codes"],
        detail=detail,
        actor=actor,
    )
    return ResetReport(had_secret, codes, sessions)


def _clear(user):
    """Remove the secret and the recovery codes; how many unused codes there were."""
    user.totp_secret = None
    user.totp_last_step = None
    return recovery.remove_all(user)


def check_login_code(user, code, *, now=None):
    """The login's second step: a right app code or an unused recovery code passes; wrong ones
    count towards a lock, the same for both.

    Returns None for an app code, or how many recovery codes are left after one was used (the
    code is spent in the caller's transaction, the one that completes the login).
    """
    now = now or utcnow()
    if service.locked_until(user.email, kind="code", now=now):
        raise service.LoginLocked(_l("Too many failed attempts. Try again in a few minutes."))
    if verify_code(user, code, now=now):
        service.clear_failures(user.email, kind="code")
        return None
    left = recovery.use(user, code, now=now) if is_enabled(user) else None
    if left is not None:
        service.clear_failures(user.email, kind="code")
        return left
    if service.record_failure(user.email, user, kind="code", now=now):
        raise service.LoginLocked(_l("Too many failed attempts. Try again in a few minutes."))
    raise service.LoginFailed(MSG_WRONG_CODE, "code")


def required_roles():
    """The roles whose members must use two-factor sign-in."""
    rows = db.session.scalars(select(RoleSetting).where(RoleSetting.two_factor_required))
    return {row.role for row in rows}


def is_required(user):
    """True if one of the staff member's roles requires two-factor sign-in."""
    required = required_roles()
    return any(role in required for role in user.role_list)


def must_set_up(user):
    """True if the staff member must set up two-factor sign-in before anything else."""
    return not is_enabled(user) and is_required(user)


def set_required_roles(roles, *, actor=SYSTEM):
    """Save which roles require two-factor sign-in."""
    wanted = {role for role in roles if role in ROLES}
    for role in ROLES:
        setting = db.session.get(RoleSetting, role)
        if setting is None:
            setting = RoleSetting(role=role)
            db.session.add(setting)
        setting.two_factor_required = role in wanted
    audit.record("staff.two_factor_roles", detail=",".join(sorted(wanted)) or "none", actor=actor)
