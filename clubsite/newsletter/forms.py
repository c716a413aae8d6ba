"""Newsletter forms: compose (subject and Markdown text per language, audience kind)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import ValidationError

from clubsite.newsletter.content import MSG_UNSAFE_SUBJECT, subject_is_safe
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

    def values(self):
        """The typed values, for the service."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
