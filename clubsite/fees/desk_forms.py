"""Forms of the desk page: sell, take a payment, renew, pause."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from clubsite.fees.forms import REQUIRED, DayField
from clubsite.fees.models import PAUSE_REASONS

DESK_METHOD_LABELS = {"cash": _l("Cash"), "card": _l("Card"), "later": _l("Pays later")}
PAUSE_REASON_LABELS = {
    "personal": _l("Personal reasons"),
    "travel": _l("Travel"),
    "club": _l("The club is closed"),
    "other": _l("Other"),
}


def _methods(names):
    return [SelectChoice(m, DESK_METHOD_LABELS[m]) for m in names]


class DeskSellForm(FlaskForm):
    """Sell a plan from today."""

    plan = SelectField(_l("Plan"), validators=[REQUIRED], choices=[])
    method = RadioField(_l("Paid by"), choices=_methods(("cash", "card", "later")), default="cash")


class DeskPayForm(FlaskForm):
    """Take cash or a card for what is due (the sum shown, in cents)."""

    method = RadioField(_l("Paid by"), choices=_methods(("cash", "card")), default="cash")
    expected = HiddenField()


class DeskRenewForm(FlaskForm):
    """Invoice the next period now."""

    membership = HiddenField(validators=[REQUIRED])
    method = RadioField(_l("Paid by"), choices=_methods(("cash", "card", "later")), default="cash")


class DeskPauseForm(FlaskForm):
    """Pause a membership for some days, with a reason from the list (no free text)."""

    membership = HiddenField(validators=[REQUIRED])
    starts_on = DayField(_l("Pause from"), validators=[REQUIRED])
    ends_on = DayField(_l("Pause until"), validators=[REQUIRED])
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice(r, PAUSE_REASON_LABELS[r]) for r in PAUSE_REASONS],
        default="personal",
    )
