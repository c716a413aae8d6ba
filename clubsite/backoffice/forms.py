"""Back-office forms: login, first admin, password change, staff management."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from clubsite.privacy.roles import ROLES
from clubsite.staff.passwords import MAX_LENGTH


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for POST-only buttons."""


class LoginForm(FlaskForm):
    """Staff login."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    next = HiddenField()


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a good password."),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
    )
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired()])

    def validate_confirm(self, field):
        """Both entries must match."""
        if field.data != self.password.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The passwords do not match."))


class FirstAdminForm(SetPasswordForm):
    """Create the first admin from the one-time link."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ChangePasswordForm(SetPasswordForm):
    """Change one's own password."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one multi-valued field."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffForm(FlaskForm):
    """Invite a staff member."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    roles = MultiCheckboxField(_l("Roles"), choices=[(key, label) for key, label in ROLES.items()])


class StaffRolesForm(FlaskForm):
    """Change a staff member's roles."""

    roles = MultiCheckboxField(_l("Roles"), choices=[(key, label) for key, label in ROLES.items()])


class AcknowledgeForm(FlaskForm):
    """'I have read and understood the policy.'"""

    understood = BooleanField(
        _l("I have read and understood the data-protection policy."), validators=[DataRequired()]
    )
