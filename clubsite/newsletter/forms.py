"""Newsletter forms: compose (subject and Markdown text per language, audience kind, segment),
schedule (a date and a time in Riga), and the club's header and footer."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from clubsite.newsletter.content import MSG_UNSAFE_SUBJECT, subject_is_safe
from clubsite.newsletter.segments import LANGUAGE_NAMES
from clubsite.web.forms import max_length

MARKDOWN_HINT = _l(
    "Markdown: **bold**, *italic*, [link text](https://…), lines starting with - for a list, "
    "# for a heading. Leave both fields of a language empty to send only the other language."
)


def header_safe_subject(form, field):
    """Refuse a subject that holds, or decodes to, a line break (mail header injection)."""
    if field.data and not subject_is_safe(field.data):
        raise ValidationError(MSG_UNSAFE_SUBJECT)


class NewsletterForm(FlaskForm):
    """Compose or edit a newsletter draft."""

    subject_lv = StringField(
        _l("Subject in Latvian"), validators=[max_length(150), header_safe_subject]
    )
    body_lv = TextAreaField(_l("Text in Latvian"), description=MARKDOWN_HINT)
    subject_en = StringField(
        _l("Subject in English"), validators=[max_length(150), header_safe_subject]
    )
    body_en = TextAreaField(_l("Text in English"), description=MARKDOWN_HINT)
    about_existing_services = BooleanField(
        _l(
            "This newsletter is about services our members already use (current members who "
            "have not objected receive it too, without separate consent)"
        )
    )

    # Choices are filled by set_segment_choices; the service checks the values (segments.clean).
    segment_site = SelectField(_l("Site"), choices=[], validate_choice=False)
    segment_plan = SelectField(
        _l("Plan"),
        choices=[],
        validate_choice=False,
        description=_l("Members with a membership on this plan valid on the day it goes out."),
    )
    segment_language = SelectField(_l("Language"), choices=[], validate_choice=False)

    def set_segment_choices(self, sites, plans):
        """Offer the open sites and the plans on sale ((value, label) pairs), each after "all"."""
        for field, pairs, everyone in (
            (self.segment_site, sites, _l("All sites")),
            (self.segment_plan, plans, _l("All plans")),
            (self.segment_language, LANGUAGE_NAMES.items(), _l("All languages")),
        ):
            options = [("", everyone), *pairs]
            field.choices = [SelectChoice(value, label) for value, label in options]

    def values(self):
        """The typed values, for the service."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class DayField(DateField):
    """A date input whose error message is translated like the rest."""

    def process_formdata(self, valuelist):
        """Read YYYY-MM-DD from the browser's date input."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a valid date.")) from None


class ClockField(TimeField):
    """A time input (HH:MM) whose error message is translated like the rest."""

    def process_formdata(self, valuelist):
        """Read HH:MM from the browser's time input."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a time such as 18:30.")) from None


# InputRequired, not DataRequired: DataRequired would replace "Enter a valid date." for a typo.
TYPED = InputRequired(message=_l("Please fill this in."))


class ScheduleForm(FlaskForm):
    """When a draft goes out: a date and a time on the club's clock (Europe/Riga)."""

    day = DayField(_l("Date"), validators=[TYPED])
    at = ClockField(_l("Time (Riga)"), validators=[TYPED])


FRAME_HINT = _l(
    "Markdown, as in newsletters. Put in every newsletter in this language; "
    "leave it empty for none."
)


class FrameForm(FlaskForm):
    """The club's header and footer, per language."""

    header_lv = TextAreaField(_l("Header in Latvian"), description=FRAME_HINT)
    footer_lv = TextAreaField(_l("Footer in Latvian"), description=FRAME_HINT)
    header_en = TextAreaField(_l("Header in English"), description=FRAME_HINT)
    footer_en = TextAreaField(_l("Footer in English"), description=FRAME_HINT)

    def values(self):
        """The typed values, for the service."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
