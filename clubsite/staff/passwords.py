"""Password hashing (argon2id) and the password policy."""

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from clubsite.domain import DomainError

# OWASP Password Storage Cheat Sheet (2025): argon2id, m = 19 MiB, t = 2, p = 1 as the minimum.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_STRENGTH = 3  # zxcvbn score 0..4; 3 = "safely unguessable"

# Verifying against this when the account does not exist keeps the timing the same.
_DUMMY_HASH = HASHER.hash("clubsite-dummy-password-for-timing")


class PasswordPolicyError(DomainError):
    """The password does not meet the policy; .message says why in the user's language."""


def hash_password(password):
    """An argon2id hash of the password (the whole password: no truncation)."""
    return HASHER.hash(password)


def verify_password(stored_hash, password):
    """True if the password matches; a missing hash still costs one verification."""
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash):
    """True when the hash was made with weaker parameters than today's."""
    return HASHER.check_needs_rehash(stored_hash)


def check_password_policy(password, *, user_inputs=()):
    """Raise PasswordPolicyError unless the password is long and hard to guess."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(_l("The password must be at least 12 characters long."))
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(_l("The password may be at most 128 characters long."))
    # zxcvbn is slow on very long input; the first 100 characters decide its score anyway.
    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_STRENGTH:
        raise PasswordPolicyError(
            _l(
                "This password is too easy to guess (it is common or close to your name or "
                "email). Use a few unrelated words or a longer phrase."
            )
        )
