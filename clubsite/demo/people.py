"""Generated people: Latvian names from Faker's lv_LV lists, and values valid by construction.

Addresses, phone numbers, personal codes (with a correct check digit), IBANs and card numbers
are made in the formats the app's validators accept; email, phone, personal code and card number
stay unique across runs (checked against the blind indexes already in the database).
"""

import functools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from faker import Faker
from stdnum import iban as stdnum_iban

from clubsite.i18n import CLUB_TZ
from clubsite.members.cards import LENGTH as CARD_LENGTH
from clubsite.members.cards import PREFIX as CARD_PREFIX
from clubsite.members.cards import luhn_digit
from clubsite.members.service import UNCONFIRMED_DAYS
from clubsite.privacy.normalize import fold_text

DOMAINS = ("inbox.lv", "gmail.com", "apollo.lv", "tvnet.lv", "outlook.com", "mail.lv", "one.lv")
BANKS = ("HABA", "UNLA", "PARX", "RIKO", "NDEA", "CITA")
STREETS = (
    "Brīvības iela", "Krišjāņa Barona iela", "Elizabetes iela", "Tērbatas iela", "Lāčplēša iela",
    "Ģertrūdes iela", "Avotu iela", "Dzirnavu iela", "Stabu iela", "Maskavas iela",
    "Kalnciema iela", "Ropažu iela", "Slokas iela", "Jomas iela", "Lielā iela", "Rīgas iela",
    "Skolas iela", "Dārza iela", "Ozolu iela", "Pils iela",
)  # fmt: skip
CITIES = (
    ("Rīga", 1001, 1084), ("Jūrmala", 2008, 2016), ("Jelgava", 3001, 3008),
    ("Ogre", 5001, 5003), ("Sigulda", 2150, 2150), ("Valmiera", 4201, 4202),
    ("Liepāja", 3401, 3414), ("Daugavpils", 5401, 5417), ("Ādaži", 2164, 2164),
)  # fmt: skip
CODE_WEIGHTS = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # the personas kods check digit (validation.py)


@dataclass
class Person:
    """One generated member: plain values (encrypted on insert) and enrolments."""

    values: dict
    language: str
    created_at: object
    enrolments: list = field(default_factory=list)  # (purpose, basis, source, fields, ends, keep)
    consent: list = field(default_factory=list)  # (kind, at)
    suppressed: tuple | None = None  # (reason, email) when the address may not be mailed


class Generator:
    """Makes people; uniqueness of email, phone, personal code and card is kept across runs."""

    def __init__(self, seed, now, taken, indexer):
        self.rnd = random.Random(seed)
        self.index = indexer
        fake = Faker("lv_LV")
        fake.seed_instance(seed)
        self.first = {
            g: sorted({getattr(fake, f"first_name_{g}")() for _ in range(600)})
            for g in ("female", "male")
        }
        self.last = {
            g: sorted({getattr(fake, f"last_name_{g}")() for _ in range(400)})
            for g in ("female", "male")
        }
        self.now = now
        self.taken = taken  # field -> set of blind indexes already used

    def _unique(self, name, make):
        while True:
            value = make()
            index = self.index(name, value)
            if index not in self.taken[name]:
                self.taken[name].add(index)
                return value

    def email(self, first, last):
        """first.last@domain, with digits added when taken."""
        base = f"{_folded(first)}.{_folded(last)}"
        domain = self.rnd.choice(DOMAINS)
        tries = iter(range(1_000_000))
        return self._unique(
            "email",
            lambda: f"{base}{'' if next(tries) == 0 else self.rnd.randint(1, 9999)}@{domain}",
        )

    def phone(self):
        """A Latvian mobile number in E.164."""
        return self._unique("phone", lambda: f"+3712{self.rnd.randint(0, 9_999_999):07d}")

    def personal_code(self):
        """An old-format code with a real birth date and check digit, or a new 32... code."""
        return self._unique("personal_code", self._code)

    def _code(self):
        rnd = self.rnd
        if rnd.random() < 0.2:
            digits = f"3{rnd.randint(2, 9)}{rnd.randint(0, 999_999_999):09d}"
            return f"{digits[:6]}-{digits[6:]}"
        while True:
            born = self.now.date() - timedelta(days=rnd.randint(16 * 365, 80 * 365))
            century = "1" if born.year < 2000 else "2"
            digits = f"{born:%d%m}{born.year % 100:02d}{century}{rnd.randint(0, 999):03d}"
            check = (1101 - sum(w * int(d) for w, d in zip(CODE_WEIGHTS, digits, strict=True))) % 11
            if check < 10:
                return f"{digits[:6]}-{digits[6:]}{check}"

    def iban(self):
        """A valid Latvian IBAN (compact)."""
        bban = f"{self.rnd.choice(BANKS)}{self.rnd.randint(0, 10**13 - 1):013d}"
        return f"LV{stdnum_iban.calc_check_digits('LV00' + bban)}{bban}"

    def card_number(self):
        """A card number of the club's format (Luhn checked), not yet issued."""

        def make():
            body = (
                CARD_PREFIX
                + f"{self.rnd.randint(0, 10 ** (CARD_LENGTH - 3) - 1):0{CARD_LENGTH - 3}d}"
            )
            return body + luhn_digit(body)

        return self._unique("card_number", make)

    def address(self):
        """A Latvian postal address."""
        city, low, high = self.rnd.choice(CITIES)
        flat = f"-{self.rnd.randint(1, 80)}" if self.rnd.random() < 0.6 else ""
        street = f"{self.rnd.choice(STREETS)} {self.rnd.randint(1, 150)}{flat}"
        return f"{street}, {city}, LV-{self.rnd.randint(low, high)}"

    def person(self):
        """One member with purposes, fields and consents in realistic proportions."""
        rnd = self.rnd
        gender = rnd.choice(("female", "male"))
        first, last = rnd.choice(self.first[gender]), rnd.choice(self.last[gender])
        created = self.now - timedelta(
            days=rnd.triangular(0, 3 * 365, 0), minutes=rnd.randint(0, 1440)
        )
        person = Person({}, "en" if rnd.random() < 0.12 else "lv", created)
        member = rnd.random() < 0.70
        if member:
            bookings, newsletter = rnd.random() < 0.10, rnd.random() < 0.29
        else:
            pick = rnd.random()
            bookings, newsletter = pick < 0.43, pick >= 0.35
        names = {"first_name": first, "last_name": last}
        if member:
            self._membership(person, names)
        if bookings:
            self._booking(person, names)
        if newsletter:
            self._newsletter(person, first, last, member)
        if not person.enrolments:  # only a withdrawn newsletter: such people are erased
            return None
        return person

    def _source(self):
        pick = self.rnd.random()
        return "signup" if pick < 0.6 else "staff" if pick < 0.9 else "import"

    def _membership(self, person, names):
        rnd, values = self.rnd, person.values
        values.update(names)
        values.setdefault("email", self.email(names["first_name"], names["last_name"]))
        values["card_number"] = self.card_number()
        fees = ["first_name", "last_name", "email"]
        for name, share, make in (
            ("postal_address", 0.15, self.address),
            ("personal_code", 0.12, self.personal_code),
            ("iban", 0.05, self.iban),
        ):
            if rnd.random() < share:
                values[name] = make()
                fees.append(name)
        ends = keep_access = keep_fees = None
        if rnd.random() < 0.08:  # an ended membership, kept for its retention period
            ended = person.created_at + (self.now - person.created_at) * rnd.random()
            ends = _midnight(ended + timedelta(days=1))  # the day after the last valid day
            keep_access, keep_fees = ends + timedelta(days=30), ends
        source = self._source()
        person.enrolments.append(
            (
                "access",
                "contract",
                source,
                ["first_name", "last_name", "card_number"],
                ends,
                keep_access,
            )
        )
        person.enrolments.append(("fees", "contract", source, fees, ends, keep_fees))

    def _booking(self, person, names):
        person.values.update(names)
        contact = "phone" if self.rnd.random() < 0.75 else "email"
        if contact == "phone":
            person.values.setdefault("phone", self.phone())
        else:
            person.values.setdefault("email", self.email(names["first_name"], names["last_name"]))
        day = self.now + timedelta(days=self.rnd.randint(-60, 60))
        person.enrolments.append(
            (
                "bookings",
                "contract",
                "staff",
                ["first_name", "last_name", contact],
                day,
                day + timedelta(days=30),
            )
        )

    def _newsletter(self, person, first, last, member):
        rnd = self.rnd
        basis = "legitimate_interest" if member and rnd.random() < 0.2 else "consent"
        given = person.created_at + timedelta(minutes=rnd.randint(0, 60 * 24 * 30))
        given = min(given, self.now - timedelta(minutes=5))
        outcome = rnd.random()
        email = person.values.get("email") or self.email(first, last)
        if basis == "legitimate_interest":
            if outcome < 0.10:
                person.consent.append(("objected", given))
                person.suppressed = ("objected", email)
                return
            fields = ["email"]
        else:
            person.consent.append(("given", given))
            if outcome < 0.05:  # never clicked the confirmation link
                given = self.now - timedelta(days=rnd.uniform(0, 2 * UNCONFIRMED_DAYS))
                person.consent[-1] = ("given", given)
                fields = ["email"]
                keep = given + timedelta(days=UNCONFIRMED_DAYS)
                person.values.setdefault("email", email)
                person.enrolments.append(("newsletter", basis, "signup", fields, None, keep))
                return
            person.consent.append(("confirmed", given + timedelta(minutes=rnd.randint(1, 600))))
            if outcome < 0.15:
                person.consent.append(("withdrawn", given + (self.now - given) * rnd.random()))
                person.suppressed = ("withdrawn", email)
                return
            fields = ["email", "first_name"] if rnd.random() < 0.6 else ["email"]
        person.values.setdefault("email", email)
        if "first_name" in fields:
            person.values.setdefault("first_name", first)
        person.enrolments.append(("newsletter", basis, self._source(), fields, None, None))


def _midnight(moment):
    """The start of the moment's day in Riga, in UTC (as fees.service stores purpose ends)."""
    day = moment.astimezone(CLUB_TZ).date()
    return datetime.combine(day, time(), CLUB_TZ).astimezone(UTC)


@functools.cache
def _folded(name):
    return fold_text(name).replace(" ", "").replace("'", "")
