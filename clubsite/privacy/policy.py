"""The staff data-protection policy: versioned text, acknowledgement, training, yearly refresh.

No personal data is shown to a staff member until they have acknowledged the current version
and passed the training within the last year.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from clubsite.database import as_utc, utcnow
from clubsite.domain import Actor
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


# The question bank, about the club's own rules. Each attempt draws DRAW_SIZE of them in a
# random order with their choices shuffled; a wrong attempt gets a new draw and is not told
# which answer was wrong, so passing takes knowing the rules rather than trying every choice.
TRAINING = [
    Question(
        "phone_for_offers",
        _l("A visitor left a phone number to book the hall. May you text them an offer?"),
        (
            _l("Yes, we have the number"),
            _l("No, it was given only for the booking"),
            _l("Yes, if the offer is about the hall"),
        ),
        1,
    ),
    Question(
        "lookup_friend",
        _l("May you look up a friend's address in the system to send them an invitation?"),
        (
            _l("No, only for my work at the club"),
            _l("Yes, if I do not tell anyone"),
            _l("Yes, if the friend is a member"),
        ),
        0,
    ),
    Question(
        "erasure_request",
        _l("A member asks at the desk to erase their data. What do you do?"),
        (
            _l("Record the request in the register today"),
            _l("Tell them to write a letter next month"),
            _l("Delete what I can see myself at once"),
        ),
        0,
    ),
    Question(
        "lost_list",
        _l("A printed list of today's bookings is missing. What do you do?"),
        (
            _l("Nothing, it was only paper"),
            _l("Tell the manager at once: it may be a breach"),
            _l("Print a new one and say nothing"),
        ),
        1,
    ),
    Question(
        "breach_deadline",
        _l(
            "Members' data may have reached the wrong person. How long does the club have to "
            "notify the Data State Inspectorate?"
        ),
        (
            _l("One month"),
            _l("There is no deadline"),
            _l("72 hours from when the club learns of it"),
        ),
        2,
    ),
    Question(
        "request_deadline",
        _l("Within what time must the club answer a member's request to see their data?"),
        (
            _l("One month"),
            _l("One year"),
            _l("Whenever the manager has time"),
        ),
        0,
    ),
    Question(
        "newsletter_audience",
        _l("Who may receive the club's newsletter?"),
        (
            _l("Everyone whose email address the club has"),
            _l(
                "People who agreed to it, and members who did not object to news about services "
                "they already use"
            ),
            _l("Everyone who booked a hall"),
        ),
        1,
    ),
    Question(
        "newsletter_stop",
        _l("A member says she no longer wants the newsletter. What happens?"),
        (
            _l("Her consent ends and she is never mailed again, unless she signs up again"),
            _l("She keeps receiving it until the end of the year"),
            _l("Nothing: the newsletter goes to every member"),
        ),
        0,
    ),
    Question(
        "reception_sees",
        _l("You work at reception. Which data do you see?"),
        (
            _l("Everything, including personal codes and bank accounts"),
            _l("What club access and hall bookings need, such as names and card numbers"),
            _l("Nothing at all"),
        ),
        1,
    ),
    Question(
        "marketing_sees",
        _l("What does marketing see of the newsletter's recipients?"),
        (
            _l("The list of addresses, to check it"),
            _l("Names and phone numbers"),
            _l("Only how many there are, never the addresses"),
        ),
        2,
    ),
    Question(
        "own_spreadsheet",
        _l("May you copy a list of members into your own spreadsheet to work on it at home?"),
        (
            _l("Yes, if the laptop has a password"),
            _l("No: personal data stays in the system"),
            _l("Yes, if I delete it afterwards"),
        ),
        1,
    ),
    Question(
        "wrong_phone",
        _l("A member tells you her phone number in the system is wrong. What do you do?"),
        (
            _l("Correct it in the system"),
            _l("Tell her it cannot be changed"),
            _l("Write the new number on a note by the desk"),
        ),
        0,
    ),
    Question(
        "purpose_ends",
        _l(
            "A membership has ended and no other purpose needs the member's data. What happens "
            "to it?"
        ),
        (
            _l("The club keeps it for good, in case she comes back"),
            _l("I print it out before it goes"),
            _l("The system erases it when its retention period is over"),
        ),
        2,
    ),
    Question(
        "personal_code",
        _l("When does the club keep a member's personal code?"),
        (
            _l("Only when the member asks for it on her invoices"),
            _l("Always, for every member"),
            _l("Whenever reception wants to identify someone"),
        ),
        0,
    ),
    Question(
        "caller_asks",
        _l("Someone phones, says he is a member's brother and asks for her phone number."),
        (
            _l("Give it: family may know it"),
            _l("Give out nothing: members ask for their own data themselves"),
            _l("Give it if he knows her date of birth"),
        ),
        1,
    ),
    Question(
        "colleague_password",
        _l("A colleague forgot her password and asks to use yours for a moment."),
        (
            _l("Log her in under my name"),
            _l("Tell her my password and change it later"),
            _l("Refuse: the manager sends her a new link"),
        ),
        2,
    ),
    Question(
        "leave_desk",
        _l("You leave the desk for a few minutes. What do you do?"),
        (
            _l("Lock the screen or log out"),
            _l("Leave it open: I will be back soon"),
            _l("Ask a visitor to keep an eye on it"),
        ),
        0,
    ),
]
QUESTIONS = {q.key: q for q in TRAINING}
DRAW_SIZE = 5


def draw_training(rng=None):
    """A new attempt: DRAW_SIZE question keys in random order, each with its choices shuffled.

    Returned as plain lists (it is kept in the staff member's session until answered).
    """
    rng = rng or secrets.SystemRandom()
    keys = rng.sample(sorted(QUESTIONS), DRAW_SIZE)
    return [[key, rng.sample(range(len(QUESTIONS[key].choices)), len(QUESTIONS[key].choices))]
            for key in keys]  # fmt: skip


def valid_draw(draw):
    """True if a draw kept in the session still fits the question bank."""
    try:
        return len(draw) == DRAW_SIZE and all(
            key in QUESTIONS and sorted(order) == list(range(len(QUESTIONS[key].choices)))
            for key, order in draw
        )
    except (TypeError, ValueError):
        return False


def drawn_questions(draw):
    """(question, [(choice index, choice text), ...]) in the drawn order, for the page."""
    return [
        (QUESTIONS[key], [(index, QUESTIONS[key].choices[index]) for index in order])
        for key, order in draw
    ]


def grade_training(answers, draw=None):
    """The keys of the wrongly answered questions of the draw (empty when all are right).

    Without a draw, the whole bank is graded.
    """
    keys = [key for key, _order in draw] if draw else list(QUESTIONS)
    return [key for key in keys if answers.get(key) != str(QUESTIONS[key].answer)]


def record_failed_attempt(user):
    """Audit a training attempt that was not passed (which answers were wrong is not kept)."""
    audit.record(
        "staff.training_failed",
        subject=user.public_id,
        detail=POLICY_VERSION,
        actor=Actor.staff(user),
    )


def acknowledge(user, *, now=None):
    """Record that the staff member has read and understood the current policy."""
    user.policy_version = POLICY_VERSION
    user.policy_acknowledged_at = now or utcnow()
    audit.record(
        "staff.policy_acknowledged",
        subject=user.public_id,
        detail=POLICY_VERSION,
        actor=Actor.staff(user),
    )


def mark_trained(user, *, now=None):
    """Record the passed training (and the acknowledgement it includes)."""
    now = now or utcnow()
    acknowledge(user, now=now)
    user.training_passed_at = now
    audit.record(
        "staff.training_passed",
        subject=user.public_id,
        detail=POLICY_VERSION,
        actor=Actor.staff(user),
    )


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
