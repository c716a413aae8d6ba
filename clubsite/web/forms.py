"""Forms and fields shared by the routes of every area."""

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = DataRequired(message=_l("Please fill this in."))


def max_length(limit):
    """A length limit with a translated message."""
    return Length(max=limit, message=_l("At most %(max)d characters, please."))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST-only buttons."""


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one multi-valued field."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def flash_errors(form):
    """Flash every error of a form (its fields' and the form's own) once each.

    For POST-only buttons whose page is shown again by a redirect. WTForms lists the form's own
    errors in form.errors too (under ""), so this loop covers them.
    """
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
