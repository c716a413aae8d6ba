"""Back-office forms for bookings and halls. Times are typed text, parsed by clubsite.bookings.times
so that a malformed value gets the club's own clear message."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

DAY = {"type": "date"}
CLOCK = {"type": "time", "step": "300"}


class BookingTimesForm(FlaskForm):
    """Hall, day and times: shared by the new-booking and change-booking forms."""

    hall = SelectField(_l("Hall"), choices=[], validate_choice=False)
    day = StringField(_l("Date"), render_kw=DAY)
    start = StringField(_l("From"), render_kw=CLOCK)
    end = StringField(
        _l("Until"),
        description=_l("An end before the start means the next day, for example 23:30–00:30."),
        render_kw=CLOCK,
    )
    contact = StringField(
        _l("Phone or email"),
        description=_l("Needed for a visitor, optional for a member. Used only for this booking."),
        render_kw={"autocomplete": "off", "maxlength": 254},
    )

    def values(self):
        """The typed values as the bookings service takes them."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class BookingForm(BookingTimesForm):
    """Book a hall for a member (found by card number or name) or for a visitor."""

    who = RadioField(
        _l("Booked for"),
        choices=[SelectChoice("member", _l("A member")), SelectChoice("visitor", _l("A visitor"))],
        default="member",
        validate_choice=False,
    )
    query = StringField(
        _l("Find a member"),
        description=_l("Card number, or the first letters of the first or last name."),
        render_kw={"autocomplete": "off", "maxlength": 100},
    )
    member = RadioField(_l("Member"), choices=[], validate_choice=False)
    visitor_name = StringField(
        _l("Visitor's name"), render_kw={"autocomplete": "off", "maxlength": 80}
    )
    repeat_until = StringField(
        _l("Repeat every week through"),
        description=_l("Optional: the same times every week up to and including this date."),
        render_kw=DAY,
    )
    search = SubmitField(_l("Search"))
    submit = SubmitField(_l("Book the hall"))


class ChangeBookingForm(BookingTimesForm):
    """Move a booking or correct its contact; the version catches another staff member's change."""

    visitor_name = StringField(
        _l("Visitor's name"), render_kw={"autocomplete": "off", "maxlength": 80}
    )
    version = HiddenField()


class CancelBookingForm(FlaskForm):
    """The cancel button, with the version of the booking the staff member saw."""

    version = HiddenField()


class HallForm(FlaskForm):
    """Add or edit a hall."""

    name = StringField(_l("Name"), render_kw={"maxlength": 80})
    capacity = StringField(
        _l("Capacity (people)"),
        description=_l("Optional."),
        render_kw={"inputmode": "numeric", "maxlength": 5},
    )
    location = SelectField(_l("Location"), choices=[], validate_choice=False)

    def values(self):
        """The typed values as the halls service takes them."""
        return {
            "name": self.name.data,
            "capacity": self.capacity.data,
            "location": self.location.data,
        }


class HallOnlineForm(FlaskForm):
    """Online booking of a hall: on or off, the hours offered, slot length, days ahead, approval."""

    online = BooleanField(_l("Visitors may book this hall online"))
    online_opens = StringField(_l("Online bookings from"), render_kw=CLOCK)
    online_closes = StringField(
        _l("Online bookings until"), description=_l("00:00 means midnight."), render_kw=CLOCK
    )
    slot_minutes = StringField(
        _l("Slot length (minutes)"), render_kw={"inputmode": "numeric", "maxlength": 3}
    )
    days_ahead = StringField(
        _l("How many days ahead"), render_kw={"inputmode": "numeric", "maxlength": 3}
    )
    needs_approval = BooleanField(_l("Staff approve each online booking first"))

    def values(self):
        """The typed values as halls.update_online takes them."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class OnlineBookingForm(FlaskForm):
    """A visitor books the chosen slot: a name and one phone or email, nothing else.

    website is a spam trap people never see; a filled-in form is quietly ignored.
    """

    day = HiddenField()
    start = HiddenField()
    visitor_name = StringField(
        _l("Your name"), render_kw={"autocomplete": "name", "maxlength": 80, "required": True}
    )
    contact = StringField(
        _l("Phone or email"),
        description=_l(
            "One is enough. With an email address we send you the confirmation and a link to "
            "cancel. Used only for this booking."
        ),
        render_kw={"autocomplete": "email", "maxlength": 254, "required": True},
    )
    website = StringField(
        _l("Leave this field empty"), render_kw={"tabindex": "-1", "autocomplete": "off"}
    )

    def is_bot(self):
        """True if the spam trap was filled in."""
        return bool((self.website.data or "").strip())

    def values(self):
        """The typed values as bookings.online.book_online takes them."""
        return {
            "day": self.day.data,
            "start": self.start.data,
            "visitor_name": self.visitor_name.data,
            "contact": self.contact.data,
        }


class SiteForm(FlaskForm):
    """Add or edit a site (filiāle)."""

    name = StringField(_l("Site name"), render_kw={"maxlength": 100})
    address = StringField(_l("Address"), render_kw={"maxlength": 200, "autocomplete": "off"})
    opening_hours = StringField(
        _l("Opening hours"),
        description=_l("As visitors should read them, for example: Mon–Fri 7:00–22:00."),
        render_kw={"maxlength": 200},
    )

    def values(self):
        """The typed values as the sites service takes them."""
        return {
            "name": self.name.data,
            "address": self.address.data,
            "opening_hours": self.opening_hours.data,
        }


class SiteSwitchForm(FlaskForm):
    """The header's switch: which site's check-in, bookings and panels to show."""

    site = SelectField(_l("Site"), choices=[], validate_choice=False)
    next = HiddenField()
