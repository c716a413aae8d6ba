"""Forms of the fees pages. Amounts are typed the Latvian way and parsed by fees.money."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from clubsite.fees.models import DEFAULT_GRACE_DAYS, PAYMENT_METHODS, PERIODS
from clubsite.fees.money import MoneyError, parse_money

PERIOD_LABELS = {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year")}
METHOD_LABELS = {"cash": _l("Cash"), "card": _l("Card"), "transfer": _l("Bank transfer")}
STATUS_LABELS = {
    "open": _l("Open"),
    "paid": _l("Paid"),
    "void": _l("Void"),
    "active": _l("Active"),
    "ended": _l("Ended"),
    "lapsed": _l("Lapsed"),
}
REQUIRED = DataRequired(message=_l("Please fill this in."))


class MoneyField(StringField):
    """An amount such as 12,50 or 1 234,50; after validation .cents holds integer cents."""

    cents = None

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form):
        """Parse the amount, refusing empty, negative and malformed input."""
        try:
            self.cents = parse_money(self.data)
        except MoneyError as exc:
            raise ValidationError(exc.message) from None


class DayField(DateField):
    """A date picker whose error message is translated like the rest."""

    def process_formdata(self, valuelist):
        """Read YYYY-MM-DD from the browser's date input."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a valid date.")) from None


class PlanForm(FlaskForm):
    """Create or change a plan."""

    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=80)])
    price = MoneyField(_l("Price (€)"), description=_l("For example 35,00"))
    period = SelectField(
        _l("Period"), choices=[SelectChoice(p, PERIOD_LABELS[p]) for p in PERIODS], default="month"
    )
    active = BooleanField(_l("On sale"), default=True)
    grace_days = IntegerField(
        _l("Grace (days)"),
        default=DEFAULT_GRACE_DAYS,
        validators=[
            Optional(),
            NumberRange(min=0, max=92, message=_l("Give a number of days from 0 to 92.")),
        ],
        description=_l(
            "A membership neither paid nor agreed beyond its last day lapses this many days "
            "later (or this long after its unpaid invoice's due date); then its data's "
            "retention starts. Empty: 14."
        ),
        render_kw={"inputmode": "numeric"},
    )
    version = HiddenField()


class SellForm(FlaskForm):
    """Sell a plan to a member."""

    plan = SelectField(_l("Plan"), validators=[REQUIRED], choices=[])
    starts_on = DayField(_l("Starts on"), validators=[REQUIRED])


class EndMembershipForm(FlaskForm):
    """Stop renewing a membership."""

    ends_on = DayField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("Leave empty to keep it valid until the date already paid for."),
    )
    version = HiddenField()


class AgreeForm(FlaskForm):
    """The valid-until date staff agreed for a membership, whatever its invoices say."""

    agreed_until = DayField(
        _l("Agreed valid until"),
        validators=[Optional()],
        description=_l("Leave empty to remove the agreement."),
    )
    version = HiddenField()


class PaymentForm(FlaskForm):
    """Record a payment towards an invoice."""

    amount = MoneyField(_l("Amount (€)"), description=_l("For example 12,50"))
    method = SelectField(
        _l("Paid by"),
        choices=[SelectChoice(m, METHOD_LABELS[m]) for m in PAYMENT_METHODS],
        default="transfer",
    )
    paid_on = DayField(_l("Paid on"), validators=[REQUIRED])
    version = HiddenField()


class VersionForm(FlaskForm):
    """A POST button that carries the row's version (void an invoice)."""

    version = HiddenField()


class GenerateForm(FlaskForm):
    """Generate the invoices of one month."""

    month = SelectField(_l("Periods starting in"), validators=[REQUIRED], choices=[])
