"""The staff data-protection policy: versioned text, acknowledgement, training, yearly refresh.

No personal data is shown to a staff member until they have acknowledged the current version
and passed the training within the last year.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from clubsite.database import as_utc, utcnow
from clubsite.privacy import audit

POLICY_VERSION = "2026.1"
REFRESH_AFTER = timedelta(days=365)

# The key points of the policy; the full text is these points with their explanations.
POLICY_POINTS = [
    (
        _l("Only what your work needs"),
        _l(
            "You see only the data your role needs. Do not look up people for any other reason: "
            "every look-up is recorded in the audit log with your name."
        ),
    ),
    (
        _l("One purpose, one use"),
        _l(
            "Data given for one purpose is used only for it. A phone number given for a hall "
            "booking is not used for offers, and news go only to people who agreed to receive them."
        ),
    ),
    (
        _l("Nothing leaves the system"),
        _l(
            "Do not copy personal data into notes, chats, private email or spreadsheets, and do "
            "not pass it to colleagues who do not need it or to anyone outside the club."
        ),
    ),
    (
        _l("Keep it correct, erase it on time"),
        _l(
            "Correct data when a member tells you it is wrong. The system erases data when its "
            "purpose ends; do not keep copies."
        ),
    ),
    (
        _l("Requests and incidents at once"),
        _l(
            "If a member asks to see, correct or erase their data, or complains, record it in the "
            "register the same day: the club must answer within one month. If data may have been "
            "lost, seen by the wrong person or changed, tell the manager at once: the club has "
            "72 hours to notify the Data State Inspectorate."
        ),
    ),
    (
        _l("Lock the screen"),
        _l("Log out or lock the screen when you leave the desk. Never share your password."),
    ),
]


@dataclass(frozen=True)
class Question:
    """A training question with its choices and the index of the right answer."""

    key: str
    text: object
    choices: tuple
    answer: int


TRAINING = [
    Question(
        "phone_for_offers",
        _l("A visitor left a phone number to book the hall. May you text them an offer?"),
        (_l("Yes, we have the number"), _l("No, it was given only for the booking")),
        1,
    ),
    Question(
        "lookup_friend",
        _l("May you look up a friend's address in the system to send them an invitation?"),
        (_l("No, only for my work at the club"), _l("Yes, if I do not tell anyone")),
        0,
    ),
    Question(
        "erasure_request",
        _l("A member asks at the desk to erase their data. What do you do?"),
        (
            _l("Record the request in the register today"),
            _l("Tell them to write a letter next month"),
        ),
        0,
    ),
    Question(
        "lost_list",
        _l("A printed list of today's bookings is missing. What do you do?"),
        (_l("Nothing, it was only paper"), _l("Tell the manager at once: it may be a breach")),
        1,
    ),
]


def acknowledge(user, *, now=None):
    """Record that the staff member has read and understood the current policy."""
    user.policy_version = POLICY_VERSION
    user.policy_acknowledged_at = now or utcnow()
    audit.record("staff.policy_acknowledged", subject=user.public_id, detail=POLICY_VERSION)


def grade_training(answers):
    """The keys of the wrongly answered questions (empty when all are right)."""
    return [q.key for q in TRAINING if answers.get(q.key) != str(q.answer)]


def mark_trained(user, *, now=None):
    """Record the passed training (and the acknowledgement it includes)."""
    now = now or utcnow()
    acknowledge(user, now=now)
    user.training_passed_at = now
    audit.record("staff.training_passed", subject=user.public_id, detail=POLICY_VERSION)


def policy_current(user, *, now=None):
    """True if the staff member acknowledged this version and trained within the last year."""
    now = now or utcnow()
    if user.policy_version != POLICY_VERSION or user.policy_acknowledged_at is None:
        return False
    if user.training_passed_at is None:
        return False
    return now - as_utc(user.training_passed_at) <= REFRESH_AFTER


def due_for_training(users, *, now=None):
    """The staff members who must (re)acknowledge or (re)train before seeing personal data."""
    return [u for u in users if u.active and not policy_current(u, now=now)]
