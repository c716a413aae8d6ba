"""Forms of the direct-debit and bank-statement pages, and of a mandate (staff or member)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from clubsite.fees.forms import REQUIRED, DayField

SEQUENCE_LABELS = {"FRST": _l("First collection"), "RCUR": _l("Recurring (already collected)")}
IBAN_RENDER = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


class CollectionForm(FlaskForm):
    """The day the bank is to collect on."""

    collection_date = DayField(_l("Collection date"), validators=[REQUIRED])


class StatementForm(FlaskForm):
    """A bank statement file to import."""

    file = FileField(
        _l("Statement file"),
        description=_l(
            "ISO 20022 camt.053 or FiDAViSta (XML), as the bank's internet bank exports it."
        ),
    )


class AssignForm(FlaskForm):
    """Assign an unmatched credit to an invoice by its number."""

    invoice = StringField(_l("Invoice number"), validators=[REQUIRED, Length(max=16)])
    version = HiddenField()


class MandateForm(FlaskForm):
    """A mandate the member signed on paper, recorded by staff."""

    iban = StringField(
        _l("Bank account (IBAN)"),
        validators=[Optional(), Length(max=42)],
        description=_l("Leave empty to keep the account already given."),
        render_kw=IBAN_RENDER,
    )
    reference = StringField(
        _l("Mandate reference"),
        validators=[Optional(), Length(max=35)],
        description=_l("As on the signed form; leave empty for a new one."),
    )
    signed_on = DayField(_l("Date of signature"), validators=[REQUIRED])
    sequence = SelectField(
        _l("Collections so far"),
        choices=[SelectChoice(k, v) for k, v in SEQUENCE_LABELS.items()],
        default="FRST",
    )


class GiveMandateForm(FlaskForm):
    """A member authorises direct debit in "My data"."""

    iban = StringField(
        _l("Bank account (IBAN)"), validators=[REQUIRED, Length(max=42)], render_kw=IBAN_RENDER
    )
    authorise = BooleanField(
        _l("I authorise the club to collect my invoices by SEPA direct debit."),
        validators=[DataRequired(message=_l("Tick the box to give the mandate."))],
    )
