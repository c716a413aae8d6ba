"""The purpose registry: every processing purpose declared once; everything else derives from it.

Sign-up forms ask a purpose's fields, the privacy notice and the record of processing activities
describe them, the access policy shows them to the purpose's roles, and retention erases a field
once no remaining purpose of the member needs it.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class PersonalField:
    """A personal datum a member may give. Stored encrypted in member.<name>_enc."""

    name: str
    label: object
    input_type: str = "text"
    autocomplete: str = "off"
    max_length: int = 100
    searchable: str | None = None  # blind-index kind for exact lookup, or "name" for prefixes


FIELDS = {
    f.name: f
    for f in [
        PersonalField(
            "first_name",
            _l("First name"),
            autocomplete="given-name",
            max_length=80,
            searchable="name",
        ),
        PersonalField(
            "last_name",
            _l("Last name"),
            autocomplete="family-name",
            max_length=80,
            searchable="name",
        ),
        PersonalField("email", _l("Email"), "email", "email", 254, searchable="email"),
        PersonalField("phone", _l("Phone"), "tel", "tel", 32, searchable="phone"),
        PersonalField(
            "postal_address", _l("Postal address"), autocomplete="street-address", max_length=200
        ),
        PersonalField(
            "personal_code", _l("Personal code"), max_length=12, searchable="personal_code"
        ),
        PersonalField("iban", _l("Bank account (IBAN)"), max_length=42),
        PersonalField("card_number", _l("Card number"), max_length=20, searchable="card_number"),
    ]
}

LEGAL_BASES = {
    "contract": _l("Contract (GDPR Art. 6(1)(b))"),
    "legal_obligation": _l("Legal obligation (GDPR Art. 6(1)(c))"),
    "consent": _l("Consent (GDPR Art. 6(1)(a))"),
    "legitimate_interest": _l("Legitimate interest (GDPR Art. 6(1)(f))"),
}


@dataclass(frozen=True)
class OptionalField:
    """A field a purpose may use only in a stated case; the reason is shown beside the input."""

    name: str
    reason: object


@dataclass(frozen=True)
class Purpose:
    """A named purpose of processing with everything the GDPR asks to be decided about it."""

    id: str
    name: object
    description: object
    legal_bases: tuple  # the first is the usual one
    required: tuple
    optional: tuple = ()
    any_of: tuple = ()  # at least one of these fields (bookings: phone or email)
    staff_roles: tuple = ("admin",)  # roles that see the purpose's fields
    retention: object = ""
    retention_days_after_end: int = 0
    system_fields: tuple = ()  # fields the system fills in (card numbers), never typed by people
    recipients: object = field(default_factory=lambda: _l("No one outside the club."))
    needs_consent: bool = False

    @property
    def fields(self):
        """Every field this purpose may use."""
        names = [
            *self.required,
            *(o.name for o in self.optional),
            *self.any_of,
            *self.system_fields,
        ]
        return tuple(dict.fromkeys(names))

    @property
    def typed_fields(self):
        """The fields a person types in for this purpose (not the system-issued ones)."""
        return tuple(f for f in self.fields if f not in self.system_fields)


PURPOSES = {
    p.id: p
    for p in [
        Purpose(
            id="access",
            name=_l("Club access"),
            description=_l("To let members into the club with their card and check them in."),
            legal_bases=("contract",),
            required=("first_name", "last_name"),
            system_fields=("card_number",),
            staff_roles=("reception", "admin"),
            retention=_l("Until the membership ends, plus 30 days; check-in records 30 days."),
            retention_days_after_end=30,
        ),
        Purpose(
            id="fees",
            name=_l("Fee administration"),
            description=_l("To invoice membership fees and record payments."),
            legal_bases=("contract", "legal_obligation"),
            required=("first_name", "last_name", "email"),
            optional=(
                OptionalField("postal_address", _l("Only if you want invoices on paper.")),
                OptionalField("personal_code", _l("Only if you want it printed on your invoices.")),
                OptionalField("iban", _l("Only if you want to pay by direct debit.")),
            ),
            staff_roles=("accountant", "admin"),
            retention=_l(
                "Contact details until the membership ends and all invoices are settled; invoices "
                "and payments 5 years after the end of their financial year (accounting law)."
            ),
            recipients=_l("The club's bank for direct debits; the tax authority when it asks."),
        ),
        Purpose(
            id="newsletter",
            name=_l("News and offers"),
            description=_l("To send you the club's news and offers by email."),
            legal_bases=("consent", "legitimate_interest"),
            required=("email",),
            optional=(OptionalField("first_name", _l("Only to greet you by name.")),),
            staff_roles=("admin",),
            retention=_l(
                "Until you withdraw your consent or object; afterwards only a keyed hash of the "
                "address stays on the do-not-mail list."
            ),
            needs_consent=True,
        ),
        Purpose(
            id="bookings",
            name=_l("Hall bookings"),
            description=_l("To book a hall for you and contact you about the booking."),
            legal_bases=("contract",),
            required=("first_name", "last_name"),
            any_of=("phone", "email"),
            staff_roles=("reception", "admin"),
            retention=_l("30 days after the date of the booking."),
            retention_days_after_end=30,
        ),
    ]
}

# What a visitor chooses at sign-up, and the purposes each choice enrols them in.
SIGNUP_CHOICES = {
    "membership": ("access", "fees"),
    "bookings": ("bookings",),
    "newsletter": ("newsletter",),
}


def purpose(purpose_id):
    """The purpose with this id (KeyError for unknown ids: there is no default purpose)."""
    return PURPOSES[purpose_id]


def purposes_for_role(role):
    """The purposes whose fields a role may see."""
    return [p for p in PURPOSES.values() if role in p.staff_roles]


def fields_for_purposes(purpose_ids):
    """(required, optional, any_of) field names for a set of purposes, in form order."""
    required, optional, any_of = [], [], []
    for purpose_id in purpose_ids:
        p = PURPOSES[purpose_id]
        required += p.required
        optional += [o.name for o in p.optional]
        any_of += p.any_of
    required = list(dict.fromkeys(required))
    any_of = [f for f in dict.fromkeys(any_of) if f not in required]
    optional = [f for f in dict.fromkeys(optional) if f not in required and f not in any_of]
    order = list(FIELDS)
    return tuple(sorted(group, key=order.index) for group in (required, optional, any_of))


def fields_for_choices(choices):
    """(required, optional, any_of) field names for a set of sign-up choices, in form order."""
    return fields_for_purposes(
        [purpose_id for choice in choices for purpose_id in SIGNUP_CHOICES.get(choice, ())]
    )
