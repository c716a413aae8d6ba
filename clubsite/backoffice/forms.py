"""Back-office forms: login, first admin, password change, staff management."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
)
from wtforms.validators import Length, ValidationError

from clubsite.privacy.roles import ROLES
from clubsite.staff.passwords import MAX_LENGTH
from clubsite.web.forms import REQUIRED, MultiCheckboxField, max_length

PASSWORD_LENGTH = Length(
    max=MAX_LENGTH, message=_l("The password may be at most 128 characters long.")
)


class LoginForm(FlaskForm):
    """Staff login."""

    email = EmailField(_l("Email"), validators=[REQUIRED, max_length(254)])
    password = PasswordField(_l("Password"), validators=[REQUIRED, PASSWORD_LENGTH])
    next = HiddenField()


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a good password."),
        validators=[REQUIRED, PASSWORD_LENGTH],
    )
    confirm = PasswordField(_l("Repeat the new password"), validators=[REQUIRED])

    def validate_confirm(self, field):
        """Both entries must match."""
        if field.data != self.password.data:
            raise ValidationError(_l("The passwords do not match."))


class FirstAdminForm(SetPasswordForm):
    """Create the first admin from the one-time link."""

    name = StringField(_l("Your name"), validators=[REQUIRED, max_length(80)])
    email = EmailField(_l("Email"), validators=[REQUIRED, max_length(254)])


class ChangePasswordForm(SetPasswordForm):
    """Change one's own password."""

    current_password = PasswordField(_l("Current password"), validators=[REQUIRED, PASSWORD_LENGTH])


class StaffForm(FlaskForm):
    """Invite a staff member."""

    name = StringField(_l("Name"), validators=[REQUIRED, max_length(80)])
    email = EmailField(_l("Email"), validators=[REQUIRED, max_length(254)])
    roles = MultiCheckboxField(_l("Roles"), choices=[(key, label) for key, label in ROLES.items()])


class StaffRolesForm(FlaskForm):
    """Change a staff member's roles."""

    roles = MultiCheckboxField(_l("Roles"), choices=[(key, label) for key, label in ROLES.items()])


class StaffSitesForm(FlaskForm):
    """The sites a staff member works at (the choices are the open sites)."""

    sites = MultiCheckboxField(_l("Sites"), choices=[], validate_choice=False)


class AcknowledgeForm(FlaskForm):
    """'I have read and understood the policy.'"""

    understood = BooleanField(
        _l("I have read and understood the data-protection policy."), validators=[REQUIRED]
    )


class TwoFactorCodeForm(FlaskForm):
    """A six-digit code from the authenticator app."""

    code = StringField(
        _l("Code from the app"),
        description=_l("Six digits, for example 123 456."),
        validators=[REQUIRED, max_length(12)],
    )
    next = HiddenField()


class TwoFactorRolesForm(FlaskForm):
    """Which roles must use two-factor sign-in."""

    roles = MultiCheckboxField(
        _l("Roles that must use two-factor sign-in"),
        choices=[(key, label) for key, label in ROLES.items()],
    )
