"""The check-in form: one field for the card number."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CheckInForm(FlaskForm):
    """A card number, typed or from a USB reader that types digits and Enter."""

    card = StringField(
        _l("Card number"),
        validators=[
            DataRequired(message=_l("Enter or scan a card number.")),
            Length(max=40, message=_l("This is not a card number.")),
        ],
        render_kw={
            "autofocus": True,
            "inputmode": "numeric",
            "autocomplete": "off",
            "autocapitalize": "off",
            "spellcheck": "false",
            "enterkeyhint": "go",
        },
    )
