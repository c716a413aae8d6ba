"""The purpose registry: every processing purpose declared once; everything else derives from it.

Sign-up forms ask a purpose's fields, the privacy notice and the record of processing activities
describe them, the access policy shows them to the purpose's roles, and retention erases a field
once no remaining purpose of the member needs it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from markupsafe import escape


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
        # One line holds the whole address: "street-address" is for multi-line controls only.
        PersonalField(
            "postal_address", _l("Postal address"), autocomplete="address-line1", max_length=200
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
class Retention:
    """How long a purpose keeps its data: the numbers the code erases by, and the sentence people
    read. The sentence's %(name)d placeholders are filled from the numbers, so the privacy
    notice, the Art. 30 record and what retention does cannot disagree."""

    text: object
    days_after_end: int = 0  # the enrolment's data stays this many days after the purpose ends
    record_days: int | None = None  # the purpose's records (check-ins, bookings): days after
    unconfirmed_days: int = 7  # a consent not confirmed (double opt-in) is erased after this
    legal_years: int | None = None  # what the law keeps: years after the end of its financial year

    def __str__(self):
        numbers = {
            "days_after_end": self.days_after_end,
            "record_days": self.record_days or 0,
            "unconfirmed_days": self.unconfirmed_days,
            "legal_years": self.legal_years or 0,
        }
        return str(self.text) % numbers

    def __html__(self):
        return str(escape(str(self)))


@dataclass(frozen=True)
class SignupChoice:
    """A box on the public sign-up form; ticking it enrols the visitor in every purpose that
    names this choice (membership: club access and fee administration)."""

    id: str
    label: object
    hint: object
    order: int = 50  # place on the form, smallest first


MEMBERSHIP = SignupChoice(
    "membership",
    _l("Membership"),
    _l("Club access with your card, and invoices for the membership fee."),
    order=10,
)


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
    retention: Retention = field(default_factory=lambda: Retention(""))
    signup: SignupChoice | None = None  # the sign-up box that enrols in it (None: staff only)
    data_subjects: object = field(default_factory=lambda: _l("People who chose this purpose"))
    system_fields: tuple = ()  # fields the system fills in (card numbers), never typed by people
    recipients: object = field(default_factory=lambda: _l("No one outside the club."))
    needs_consent: bool = False
    # Legal bases (see LEGAL_BASES) and when each applies:
    # marketing: mail that markets the club. Consent-based: every way it ends (withdrawal,
    # objection, staff ending it, erasure, retention) puts the address on the suppression list,
    # and only the person's own confirmed opt-in (double opt-in) takes it off again.
    marketing: bool = False
    # A service the club gives its members under their contract (access, fees): a current
    # member of one may get news of similar services on legitimate interest ("soft opt-in").
    club_service: bool = False
    # The basis that is the soft opt-in for this purpose (allowed only for current members of a
    # club service, with the right to object at any time), or None.
    soft_opt_in_basis: str | None = None

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
    def retention_days_after_end(self):
        """Days the enrolment's data stays after the purpose ends."""
        return self.retention.days_after_end

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
            club_service=True,
            required=("first_name", "last_name"),
            system_fields=("card_number",),
            staff_roles=("reception", "admin"),
            retention=Retention(
                _l(
                    "Until the membership ends, plus %(days_after_end)d days; check-in records "
                    "%(record_days)d days."
                ),
                days_after_end=30,
                record_days=30,
            ),
            signup=MEMBERSHIP,
            data_subjects=_l("Members"),
        ),
        Purpose(
            id="fees",
            name=_l("Fee administration"),
            description=_l("To invoice membership fees and record payments."),
            legal_bases=("contract", "legal_obligation"),
            club_service=True,
            required=("first_name", "last_name", "email"),
            optional=(
                OptionalField("postal_address", _l("Only if you want invoices on paper.")),
                OptionalField("personal_code", _l("Only if you want it printed on your invoices.")),
                OptionalField("iban", _l("Only if you want to pay by direct debit.")),
            ),
            staff_roles=("accountant", "admin"),
            retention=Retention(
                _l(
                    "Contact details until the membership ends and all invoices are settled; "
                    "invoices and payments %(legal_years)d years after the end of their financial "
                    "year (accounting law)."
                ),
                legal_years=5,
            ),
            signup=MEMBERSHIP,
            data_subjects=_l("Members"),
            recipients=_l("The club's bank for direct debits; the tax authority when it asks."),
        ),
        Purpose(
            id="newsletter",
            name=_l("News and offers"),
            description=_l("To send you the club's news and offers by email."),
            legal_bases=("consent", "legitimate_interest"),
            marketing=True,
            soft_opt_in_basis="legitimate_interest",
            required=("email",),
            optional=(OptionalField("first_name", _l("Only to greet you by name.")),),
            staff_roles=("admin",),
            retention=Retention(
                _l(
                    "Until you withdraw your consent or object; afterwards only a keyed hash of "
                    "the address stays on the do-not-mail list. A sign-up not confirmed within "
                    "%(unconfirmed_days)d days is erased."
                ),
                unconfirmed_days=7,
            ),
            signup=SignupChoice(
                "newsletter",
                _l("News and offers"),
                _l("To send you the club's news and offers by email."),
                order=30,
            ),
            data_subjects=_l("Members and visitors who subscribed"),
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
            retention=Retention(
                _l("%(record_days)d days after the date of the booking."),
                days_after_end=30,
                record_days=30,
            ),
            signup=SignupChoice(
                "bookings",
                _l("Hall booking"),
                _l("Book a hall; we contact you about the booking."),
                order=20,
            ),
            data_subjects=_l("Members and visitors who book a hall"),
        ),
    ]
}


def signup_choices():
    """{choice id: SignupChoice} of the sign-up form, in form order."""
    choices = {p.signup.id: p.signup for p in PURPOSES.values() if p.signup is not None}
    return dict(sorted(choices.items(), key=lambda item: item[1].order))


class _SignupPurposes(Mapping):
    """choice id -> the purpose ids it enrols in, read from the registry at every use (so a
    purpose added to PURPOSES is on the sign-up form at once)."""

    def _current(self):
        grouped = {choice: [] for choice in signup_choices()}
        for p in PURPOSES.values():
            if p.signup is not None:
                grouped[p.signup.id].append(p.id)
        return {choice: tuple(ids) for choice, ids in grouped.items()}

    def __getitem__(self, choice):
        return self._current()[choice]

    def __iter__(self):
        return iter(self._current())

    def __len__(self):
        return len(self._current())


# What a visitor chooses at sign-up, and the purposes each choice enrols them in.
SIGNUP_CHOICES = _SignupPurposes()


def purpose(purpose_id):
    """The purpose with this id (KeyError for unknown ids: there is no default purpose)."""
    return PURPOSES[purpose_id]


# Purposes whose mail markets the club: the suppression list applies to them.
MARKETING = tuple(p.id for p in PURPOSES.values() if p.marketing)
CLUB_SERVICES = tuple(p.id for p in PURPOSES.values() if p.club_service)


def basis_refusal(purpose_id, basis, *, club_member):
    """Why the registry refuses this legal basis for the purpose, or None if it allows it.

    club_member: the person is (or is becoming) a current member of a club-service purpose,
    the only case in which the purpose's soft opt-in basis applies.
    """
    p = PURPOSES[purpose_id]
    if basis not in p.legal_bases:
        return _l(
            "“%(purpose)s” cannot rest on the legal basis “%(basis)s”.",
            purpose=p.name,
            basis=LEGAL_BASES.get(basis, basis),
        )
    if basis == p.soft_opt_in_basis and not club_member:
        return _l(
            "“%(purpose)s” on legitimate interest is only for current members of the club's "
            "services (%(services)s); otherwise the person's consent is needed.",
            purpose=p.name,
            services=", ".join(str(PURPOSES[c].name) for c in CLUB_SERVICES),
        )
    return None


def exit_kind(purpose_id, basis):
    """The ledger event that ends a marketing purpose: an objection to the soft opt-in, or a
    withdrawn consent."""
    return "objected" if basis == PURPOSES[purpose_id].soft_opt_in_basis else "withdrawn"


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
