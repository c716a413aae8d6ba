"""Registry-driven member forms, one implementation for the public sign-up and the back office.

The purpose registry decides which fields a set of purposes needs. This module turns that into
form inputs, hints saying why an optional field is asked, and a plan per combination of choices
that the small script (static/js/signup.js) uses to show and hide inputs in place. The server never
trusts the page: it reads only the fields of the purposes actually chosen.
"""

from dataclasses import dataclass
from itertools import combinations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from clubsite.i18n import LANGUAGES
from clubsite.privacy.purposes import (
    FIELDS,
    PURPOSES,
    SIGNUP_CHOICES,
    fields_for_choices,
    fields_for_purposes,
)

# Fields people type; system-issued ones (card numbers) never appear on a form.
TYPED_FIELDS = [
    name for name in FIELDS if not any(name in p.system_fields for p in PURPOSES.values())
]
ANY_OF_HINT = _l("Give a phone number or an email address: one of them is enough.")


@dataclass(frozen=True)
class FieldSpec:
    """How a form asks one field for the chosen purposes."""

    name: str
    need: str  # "required", "optional" or "any_of"
    hint: object = None  # why it is asked, shown under the label


def purposes_for_choices(choices):
    """The purpose ids a set of sign-up choices enrols in, without repeats."""
    ids = [pid for choice in SIGNUP_CHOICES if choice in choices for pid in SIGNUP_CHOICES[choice]]
    return list(dict.fromkeys(ids))


def _reason(name, purpose_ids):
    for pid in purpose_ids:
        for option in PURPOSES[pid].optional:
            if option.name == name:
                return option.reason
    return None


def _plan(groups, purpose_ids):
    required, optional, any_of = groups
    plan = {name: FieldSpec(name, "required") for name in required}
    plan.update({name: FieldSpec(name, "any_of", ANY_OF_HINT) for name in any_of})
    plan.update(
        {name: FieldSpec(name, "optional", _reason(name, purpose_ids)) for name in optional}
    )
    return {name: plan[name] for name in FIELDS if name in plan}


def plan_for_choices(choices):
    """{field name: FieldSpec} the public form asks for these sign-up choices."""
    return _plan(fields_for_choices(choices), purposes_for_choices(choices))


def plan_for_purposes(purpose_ids):
    """{field name: FieldSpec} the staff form asks for these purposes."""
    return _plan(fields_for_purposes(purpose_ids), purpose_ids)


def combination_key(options):
    """The key of a set of choices in the plans map: sorted ids joined by '+'."""
    return "+".join(sorted(options))


def plans_by_combination(options, plan_func):
    """Every combination of options -> {field: {"need", "hint"}}, for the page's script."""
    plans = {}
    for size in range(len(options) + 1):
        for combo in combinations(sorted(options), size):
            plans[combination_key(combo)] = {
                name: {"need": spec.need, "hint": str(spec.hint or "")}
                for name, spec in plan_func(combo).items()
            }
    return plans


class ChoiceBoxes(SelectMultipleField):
    """Several checkboxes for one multi-valued field."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Unknown values are dropped rather than reported: only a forged form sends them."""
        known = {value for value, _label in self.choices}
        self.data = [value for value in (self.data or []) if value in known]


class MemberFieldsForm(FlaskForm):
    """One text input per typed registry field; validation is the member service's job."""


for _name in TYPED_FIELDS:
    _spec = FIELDS[_name]
    setattr(
        MemberFieldsForm,
        _name,
        StringField(
            _spec.label,
            render_kw={
                "type": _spec.input_type,
                "autocomplete": _spec.autocomplete,
                "maxlength": _spec.max_length,
            },
        ),
    )


def typed_values(form, names):
    """The raw text typed into the named inputs (the service validates and normalises it)."""
    return {name: form[name].data or "" for name in names if name in TYPED_FIELDS}


def apply_member_error(form, exc):
    """Show a MemberError's messages on their inputs, or above the form."""
    for name, message in exc.errors.items():
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


NEWSLETTER_BASES = [
    ("consent", _l("Consent: the person agreed to receive news and offers")),
    (
        "legitimate_interest",
        _l("Existing member, news about similar services (they may object at any time)"),
    ),
]


class StaffMemberForm(MemberFieldsForm):
    """The back office's "add member" form: purposes, fields, basis and proof of consent."""

    purposes = ChoiceBoxes(_l("Purposes"), choices=[(p.id, p.name) for p in PURPOSES.values()])
    newsletter_basis = SelectField(
        _l("Legal basis for news and offers"), choices=NEWSLETTER_BASES, default="consent"
    )
    consent_proof = StringField(
        _l("Proof of consent"),
        description=_l(
            "For example “signed paper form, 12.03.2026”. The person always gets a mail to "
            "confirm: news reach them only once they have confirmed."
        ),
        render_kw={"maxlength": 200, "autocomplete": "off"},
    )
    language = SelectField(_l("Language for mails"), choices=list(LANGUAGES.items()), default="lv")
