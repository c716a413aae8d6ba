"""One-time recovery codes: the login's second step for a staff member without their phone.

Ten codes are made when two-factor sign-in is turned on (and again on demand, which voids the
old set); each is shown once and works once. Only a keyed hash of a code is stored.

Why HMAC-SHA256 and not argon2: a code is 50 random bits, not a password a person chose, so
there is no dictionary to try; the key (the blind-index key) lives outside the database, so a
stolen database alone allows no guessing at all; and online guessing meets the same rate limit
and lock as a wrong authenticator code. A keyed hash can also be looked up directly, so a
code is spent by one conditional UPDATE, which two simultaneous logins cannot both win.
"""

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import delete, func, select, update

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.staff.models import RecoveryCode

COUNT = 10
GROUP = 5  # characters per group: XXXXX-XXXXX
# Crockford's base32: no I, L, O or U, so nothing is misread; 5 bits a character.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What people type for the letters left out.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
LOW_AFTER = 2  # this many codes left or fewer: the staff member is told to make new ones


def _new_code():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(2 * GROUP))
    return f"{raw[:GROUP]}-{raw[GROUP:]}"


def normalise(code):
    """The code's ten characters (case, spaces and dashes ignored), or None if it is not one."""
    text = "".join((code or "").split()).replace("-", "").upper().translate(_READ_AS)
    if len(text) != 2 * GROUP or any(char not in ALPHABET for char in text):
        return None
    return text


def _hash(user, normalised):
    """The keyed hash of a code, bound to its staff member."""
    key = current_app.config["KEY_RING"].index_key
    message = b"recovery-code\x00" + user.public_id.encode() + b"\x00" + normalised.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def generate(user, *, actor=None, now=None):
    """Make a new set of codes (the old set stops working); returns them, to be shown once."""
    now = now or utcnow()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
    codes = [_new_code() for _ in range(COUNT)]
    db.session.add_all(
        RecoveryCode(staff_id=user.id, code_hash=_hash(user, normalise(code)), created_at=now)
        for code in codes
    )
    audit.record(
        "staff.recovery_codes_created",
        subject=user.public_id,
        fields=["recovery_codes"],
        detail=f"count={COUNT}",
        actor=actor or Actor.staff(user),
    )
    return codes


def use(user, code, *, now=None):
    """Spend a code of this staff member: how many are left if it was theirs and unused (it is
    now used), else None.

    One conditional UPDATE: of two logins with the same code at once, only one changes the row
    (the other waits for the first's transaction and then finds it used).
    """
    normalised = normalise(code)
    if normalised is None:
        return None
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_id == user.id,
            RecoveryCode.code_hash == _hash(user, normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return None
    left = remaining(user)
    audit.record(
        "staff.recovery_code_used",
        subject=user.public_id,
        fields=["recovery_codes"],
        detail=f"remaining={left}",
        actor=Actor.staff(user),
    )
    return left


def remaining(user):
    """How many unused codes the staff member has."""
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.staff_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def remove_all(user):
    """Delete every code of the staff member (two-factor sign-in off or reset); how many unused."""
    unused = remaining(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == user.id))
    return unused
