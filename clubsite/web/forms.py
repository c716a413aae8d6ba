"""Forms and fields shared by the routes of every area."""

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

REQUIRED = DataRequired(message=_l("Please fill this in."))


def max_length(limit):
    """A length limit with a translated message."""
    return Length(max=limit, message=_l("At most %(max)d characters, please."))


class HiddenInputWithoutId(HiddenInput):
    """A hidden input rendered without an id: nothing labels or targets it, and a page with
    several forms would otherwise repeat id="csrf_token" (or id="version") once per form."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)  # WTForms leaves out an attribute whose value is False
        return super().__call__(field, **kwargs)


def render_hidden_inputs_without_id():
    """Render every hidden field and CSRF token without an id, in every form of every area.

    Set once on the two WTForms field classes (the forms of all areas use them), so no
    template has to remember it; a template may still pass id=... where it needs one.
    """
    for field_class in (HiddenField, CSRFTokenField):
        field_class.widget = HiddenInputWithoutId()


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
