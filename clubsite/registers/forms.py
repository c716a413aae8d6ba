"""Back-office forms of the registers, and the words staff read for their fixed values."""

from datetime import UTC, datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from clubsite.database import utcnow
from clubsite.i18n import CLUB_TZ, to_local

REQUIRED = DataRequired(message=_l("Please fill this in."))
DATE_FORMATS = ["%Y-%m-%d"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
BAD_DATE = _l("Enter a date.")
BAD_DATETIME = _l("Enter a date and time.")

LABELS = {
    "kind": {
        "access": _l("Access (a copy of their data)"),
        "rectification": _l("Rectification"),
        "erasure": _l("Erasure"),
        "restriction": _l("Restriction of processing"),
        "objection": _l("Objection"),
        "portability": _l("Data portability"),
    },
    "request_status": {
        "open": _l("Open"),
        "in_progress": _l("In progress"),
        "done": _l("Done"),
        "refused": _l("Refused"),
    },
    "source": {
        "desk": _l("At the desk"),
        "email": _l("Email"),
        "letter": _l("Letter"),
        "phone": _l("Phone"),
        "self-service": _l("Self-service (My data)"),
    },
    "refusal_ground": {
        "expression": _l("Freedom of expression and information (GDPR Art. 17(3)(a))"),
        "legal_obligation": _l(
            "A legal obligation, e.g. invoices the accounting law keeps (GDPR Art. 17(3)(b))"
        ),
        "public_health": _l("Public health (GDPR Art. 17(3)(c))"),
        "archiving": _l(
            "Archiving in the public interest, research or statistics (GDPR Art. 17(3)(d))"
        ),
        "legal_claims": _l("Establishing, exercising or defending legal claims (Art. 17(3)(e))"),
        "no_data": _l("Nothing to erase: the club holds no data about the person"),
    },
    "extension": {
        0: _l("Not extended: one month"),
        1: _l("By one further month"),
        2: _l("By two further months"),
    },
    "risk": {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")},
    "breach_status": {"open": _l("Open"), "contained": _l("Contained"), "closed": _l("Closed")},
    "category": {
        "names": _l("Names"),
        "contact": _l("Contact details (email, phone, address)"),
        "personal_code": _l("Personal codes"),
        "bank": _l("Bank accounts (IBAN)"),
        "card_number": _l("Card numbers"),
        "invoices": _l("Invoices and payments"),
        "checkins": _l("Check-in log"),
        "bookings": _l("Hall bookings"),
        "consents": _l("Consent records"),
        "staff_accounts": _l("Staff accounts"),
    },
    "channel": {
        "desk": _l("At the desk"),
        "email": _l("Email"),
        "letter": _l("Letter"),
        "phone": _l("Phone"),
        "authority": _l("Through the Data State Inspectorate"),
    },
    "complaint_status": {
        "open": _l("Open"),
        "in_progress": _l("In progress"),
        "resolved": _l("Resolved"),
        "rejected": _l("Rejected"),
    },
}


def _choices(group, exclude=()):
    return [(key, label) for key, label in LABELS[group].items() if key not in exclude]


def local_moment(value):
    """A naive local date or date-time from a form as an aware moment in Riga (or None)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        # A date alone: now if it is today, else midday (the due date counts the day only).
        if value == to_local(utcnow()).date():
            return utcnow()
        value = datetime.combine(value, time(12, 0))
    # In UTC: SQLite stores the wall time without its zone.
    return value.replace(tzinfo=CLUB_TZ).astimezone(UTC)


def local_input(value):
    """An aware moment as the naive local value a date-time input shows."""
    return to_local(value).replace(tzinfo=None, second=0, microsecond=0) if value else None


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one multi-valued field."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


MEMBER_ID = StringField(
    _l("Member id (optional)"),
    description=_l("The id shown on the member's page, if the person is a member."),
    validators=[Optional(), Length(max=36, message=_l("At most %(max)d characters, please."))],
)


class SubjectRequestForm(FlaskForm):
    """A request taken at the desk, by email, letter or phone."""

    kind = SelectField(_l("Type of request"), choices=_choices("kind"), validators=[REQUIRED])
    received_at = DateField(
        _l("Received on"),
        format=DATE_FORMATS,
        validators=[InputRequired(message=BAD_DATE)],
        default=lambda: to_local(utcnow()).date(),
    )
    source = SelectField(_l("Received by"), choices=_choices("source", exclude=("self-service",)))
    member_public_id = MEMBER_ID
    details = TextAreaField(_l("What was asked"), validators=[REQUIRED])


class SubjectRequestUpdateForm(FlaskForm):
    """Work on a request: status, member, details, what was done, why an erasure is refused,
    and a later deadline (Art. 12(3))."""

    status = SelectField(
        _l("Status"),
        choices=_choices("request_status"),
        description=_l("An erasure request marked done erases the member when it is saved."),
    )
    member_public_id = MEMBER_ID
    details = TextAreaField(_l("What was asked"))
    outcome = TextAreaField(
        _l("What was done"), description=_l("Needed before the request is closed.")
    )
    refusal_ground = SelectField(
        _l("Why the erasure is refused"),
        choices=[("", _l("(not refused)")), *_choices("refusal_ground")],
        default="",
        description=_l("Needed when an erasure request is refused; explain it in the note."),
    )
    extended_months = SelectField(
        _l("Deadline"),
        choices=_choices("extension"),
        coerce=int,
        default=0,
        description=_l(
            "Art. 12(3): where necessary, by up to two further months, decided within the first "
            "month; tell the person, with the reasons."
        ),
    )
    extension_reason = TextAreaField(_l("Reasons for the later deadline"))
    version = HiddenField()


class BreachForm(FlaskForm):
    """A personal data breach."""

    detected_at = DateTimeLocalField(
        _l("Detected at"),
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=BAD_DATETIME)],
        default=lambda: local_input(utcnow()),
        description=_l("The 72 hours to notify the Data State Inspectorate run from here."),
    )
    description = TextAreaField(_l("What happened"), validators=[REQUIRED])
    categories = MultiCheckboxField(_l("Data concerned"), choices=_choices("category"))
    people_count = IntegerField(
        _l("Approximate number of people"),
        validators=[Optional(), NumberRange(min=0, message=_l("Give a number from 0 upwards."))],
    )
    risk = SelectField(
        _l("Risk to the people concerned"), choices=_choices("risk"), default="medium"
    )
    authority_notified_at = DateTimeLocalField(
        _l("Data State Inspectorate notified at"), format=DATETIME_FORMATS, validators=[Optional()]
    )
    people_informed = BooleanField(_l("The people concerned have been informed"))
    people_informed_at = DateTimeLocalField(
        _l("Informed at"), format=DATETIME_FORMATS, validators=[Optional()]
    )
    measures = TextAreaField(_l("Measures taken"))
    status = SelectField(_l("Status"), choices=_choices("breach_status"), default="open")
    version = HiddenField()


class ComplaintForm(FlaskForm):
    """A complaint about how the club handles personal data."""

    received_at = DateField(
        _l("Received on"),
        format=DATE_FORMATS,
        validators=[InputRequired(message=BAD_DATE)],
        default=lambda: to_local(utcnow()).date(),
    )
    channel = SelectField(_l("Received by"), choices=_choices("channel"))
    member_public_id = MEMBER_ID
    summary = TextAreaField(_l("What the complaint says"), validators=[REQUIRED])
    status = SelectField(_l("Status"), choices=_choices("complaint_status"), default="open")
    outcome = TextAreaField(
        _l("What the club answered or did"), description=_l("Needed before it is closed.")
    )
    version = HiddenField()
