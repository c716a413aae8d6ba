"""Validation of user input: each validator returns the normalised value to store.

Messages are lazy English msgids so they are translated in the request's locale. Validators
refuse empty input; optional fields are the form's business (skip the validator when empty).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata

import email_validator
import phonenumbers
from email_validator import syntax as email_syntax
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from email_validator.types import ValidatedEmail
from flask_babel import lazy_gettext as _l
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

from clubsite.domain import DomainError
from clubsite.privacy.normalize import normalize_phone_for_index

NAME_MAX_LEN = 80
EMAIL_MAX_LEN = 254
PHONE_MAX_LEN = 32
PERSONAL_CODE_MAX_LEN = 16
IBAN_MAX_LEN = 48
ADDRESS_MIN_LEN = 5
ADDRESS_MAX_LEN = 200
# Stacks of combining marks ("Zalgo" text) spill over neighbouring lines in every layout.
MAX_COMBINING_RUN = 4

# Cc/Cf cover controls, zero-width characters, BOM and bidi overrides/isolates; Zl/Zp are the
# Unicode line and paragraph separators; Cs are lone surrogates, which cannot be stored.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAME_PUNCTUATION = frozenset(" -'\u2019.")
_ADDRESS_PUNCTUATION = frozenset(" ,.-/#'\u2019\"\u201e\u201c\u201d\u00ab\u00bb()")
_PHONE_CHARS = frozenset("+0123456789 ()-./")
# After removing spaces/hyphens: country, two check digits, up to 30 alphanumerics.
_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_CODE_RE = re.compile(r"([0-9]{6})-?([0-9]{5})")
_SPACE_RE = re.compile(r"\s")  # the characters str.isspace() is true for
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CODE_WEIGHTS = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CENTURIES = {"0": 1800, "1": 1900, "2": 2000}

MSG_CODE_FORMAT = _l(
    "Enter a Latvian personal code: 11 digits, for example 010190-12345 or 32xxxx-xxxxx."
)
MSG_CODE_COMPANY = _l("This is a company registration number, not a personal code.")
MSG_CODE_DATE = _l("This personal code does not start with a real birth date (DDMMYY).")
MSG_CODE_FUTURE = _l("The birth date in this personal code is in the future.")
MSG_CODE_CENTURY = _l("This personal code is not valid: its 7th digit must be 0, 1 or 2.")
MSG_CODE_CHECK = _l(
    "This personal code is not valid: the last digit does not match. Check for typos."
)


class ValidationError(DomainError):
    """User input was refused; .message is a lazy, translatable explanation."""


def clean_text(value: str | None, *, max_len: int, field_label=None) -> str:
    """Strip, refuse invisible/control/bidi characters and line breaks, enforce length, NFC."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("clean_text expects str")
    value = value.strip()
    # Cheap bound first so a megabyte paste is refused before any per-character work.
    if len(value) > 4 * max_len:
        raise ValidationError(_too_long(max_len, field_label))
    # isprintable() is False for every forbidden category (and for a few allowed ones, such as
    # private-use characters): only then is the per-character check needed.
    if not value.isprintable() and any(
        unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value
    ):
        raise ValidationError(_bad_chars(field_label))
    value = unicodedata.normalize("NFC", value)
    if len(value) > max_len:
        raise ValidationError(_too_long(max_len, field_label))
    return value


def _too_long(max_len: int, field_label):
    if field_label is None:
        return _l("Use at most %(max)d characters.", max=max_len)
    return _l("%(field)s: use at most %(max)d characters.", field=field_label, max=max_len)


def _bad_chars(field_label):
    if field_label is None:
        return _l("Remove line breaks and invisible or control characters.")
    return _l(
        "%(field)s: remove line breaks and invisible or control characters.", field=field_label
    )


def _has_combining_stack(value: str) -> bool:
    run = 0
    for ch in value:
        run = run + 1 if unicodedata.category(ch).startswith("M") else 0
        if run > MAX_COMBINING_RUN:
            return True
    return False


def validate_name(value: str) -> str:
    """Accept a person's name in any script: letters, marks, spaces, - ' ’ and full stops."""
    name = " ".join(clean_text(value, max_len=NAME_MAX_LEN).split())
    if not name:
        raise ValidationError(_l("Enter a name."))
    allowed = all(ch in _NAME_PUNCTUATION or unicodedata.category(ch)[0] in "LM" for ch in name)
    if not allowed or _has_combining_stack(name):
        raise ValidationError(
            _l("A name may contain only letters, spaces, hyphens, apostrophes and full stops.")
        )
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise ValidationError(_l("A name must contain at least one letter."))
    return name


def validate_email(value: str) -> str:
    """Check an email address's syntax (no DNS) and return its normalised form."""
    address = clean_text(value, max_len=EMAIL_MAX_LEN)
    # clean_text already refused CR/LF (header injection); quotes and inner spaces are legal
    # in RFC 5322 but only ever appear in typos or attacks here.
    if not address or '"' in address or _SPACE_RE.search(address):
        raise ValidationError(_l("Enter a valid email address."))
    try:
        info = _plain_email(address)
        if info is None:
            # strict=True adds RFC 5321's 64-character local-part limit; no DNS at run time.
            info = email_validator.validate_email(address, check_deliverability=False, strict=True)
    except email_validator.EmailNotValidError:
        raise ValidationError(_l("Enter a valid email address.")) from None
    # Lower only A-Z: Unicode lowering/casefolding would merge distinct mailboxes. The domain
    # is stored in its IDNA ASCII form so Unicode and punycode spellings index alike.
    normalized = f"{info.local_part.translate(_ASCII_LOWER)}@{info.ascii_domain.lower()}"
    if len(normalized) > EMAIL_MAX_LEN:
        raise ValidationError(_l("Enter a valid email address."))
    return normalized


# An ASCII address with one @-sign, no quotes, angle brackets or backslashes, and a domain of
# letters, digits, dots and hyphens: email_validator splits it at the @-sign without more ado.
_PLAIN_EMAIL_RE = re.compile(r"([^\s\"<>@\\]+)@([A-Za-z0-9.-]+)")


@functools.lru_cache(maxsize=1024)
def _email_domain(domain):
    """email_validator's verdict on a domain part (a pure function of it): the result, or None
    when it is refused. An import brings thousands of addresses on a handful of domains."""
    try:
        return email_syntax.validate_email_domain_name(
            domain, test_environment=False, globally_deliverable=True
        )
    except email_validator.EmailNotValidError:
        return None


def _plain_email(address):
    """email_validator.validate_email(address, check_deliverability=False, strict=True) for a
    plain ASCII address, its steps in the same order but the domain's verdict cached; None for
    any other address (the caller asks the library itself). Raises EmailNotValidError as the
    library does. tests/members/test_import_validation.py compares the two on tricky addresses."""
    match = _PLAIN_EMAIL_RE.fullmatch(address) if address.isascii() else None
    if match is None:
        return None
    local, domain = match.groups()
    part = email_syntax.validate_email_local_part(
        local, allow_smtputf8=True, allow_empty_local=False, quoted_local_part=False, strict=True
    )
    info = ValidatedEmail()
    info.original = address
    info.local_part, info.ascii_local_part = part["local_part"], part["ascii_local_part"]
    if info.ascii_local_part is not None and (
        info.ascii_local_part.lower() in CASE_INSENSITIVE_MAILBOX_NAMES
    ):
        info.local_part = info.local_part.lower()
        info.ascii_local_part = info.ascii_local_part.lower()
    checked = _email_domain(domain)
    if checked is None:
        raise email_validator.EmailSyntaxError("The part after the @-sign is not valid.")
    info.domain, info.ascii_domain = checked["domain"], checked["ascii_domain"]
    info.normalized = f"{info.local_part}@{info.domain}"
    info.ascii_email = f"{info.ascii_local_part}@{info.ascii_domain}"
    email_syntax.validate_email_length(info)
    return info


def validate_phone(value: str, region: str = "LV") -> str:
    """Parse a phone number (default region Latvia) and return it in E.164 form."""
    text = clean_text(value, max_len=PHONE_MAX_LEN)
    # phonenumbers happily skips letters and reads "ext 5"; neither belongs in E.164.
    if not text or any(ch not in _PHONE_CHARS for ch in text):
        raise ValidationError(_l("Enter a valid phone number, for example +371 2000 0000."))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _l("Enter a valid phone number, for example +371 2000 0000.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _l("This phone number does not exist. Check the digits and the country code.")
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Display form of a stored E.164 number: "+371 2000 0000" for Latvia, else international."""
    normalize_phone_for_index(e164)  # refuses anything that is not E.164
    if e164.startswith("+371") and len(e164) == 12:
        return f"+371 {e164[4:8]} {e164[8:]}"
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _code_digits(value: str) -> str:
    text = clean_text(value, max_len=PERSONAL_CODE_MAX_LEN)
    match = _CODE_RE.fullmatch(text)
    if not match:
        raise ValidationError(MSG_CODE_FORMAT)
    return match.group(1) + match.group(2)


def _is_new_format(digits: str) -> bool:
    # Codes issued since 1 July 2017 start 32..39; 30/31 are old codes born on the 30th/31st.
    return digits[0] == "3" and digits[1] in "23456789"


def _old_code_birth_date(digits: str) -> datetime.date:
    century = _CENTURIES.get(digits[6])
    if century is None:
        raise ValidationError(MSG_CODE_CENTURY)
    try:
        return datetime.date(century + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        raise ValidationError(MSG_CODE_DATE) from None


def _old_code_check_digit(digits: str) -> int | None:
    """Return the check digit for the first ten digits, or None if no digit fits (sum gives 10)."""
    check = (1101 - sum(w * int(d) for w, d in zip(_CODE_WEIGHTS, digits, strict=False))) % 11
    return check if check < 10 else None


def validate_personal_code(value: str, *, today: datetime.date | None = None) -> str:
    """Validate a Latvian personas kods (old dated or new 32..39 format); return DDMMYY-NNNNN."""
    digits = _code_digits(value)
    if digits[0] in "459":
        raise ValidationError(MSG_CODE_COMPANY)
    if not _is_new_format(digits):
        born = _old_code_birth_date(digits)
        if born > (today or datetime.date.today()):
            raise ValidationError(MSG_CODE_FUTURE)
        if _old_code_check_digit(digits) != int(digits[10]):
            raise ValidationError(MSG_CODE_CHECK)
    return f"{digits[:6]}-{digits[6:]}"


def birth_date_from_personal_code(code: str) -> datetime.date | None:
    """Return the birth date encoded in an old-format personal code; None for new codes."""
    digits = _code_digits(validate_personal_code(code))
    return None if _is_new_format(digits) else _old_code_birth_date(digits)


def validate_iban(value: str) -> str:
    """Validate an IBAN (country format and check digits); return it compact and uppercase."""
    text = clean_text(value, max_len=IBAN_MAX_LEN).replace(" ", "").replace("-", "")
    # Shape first: stdnum tests the check digits before the format, so "hello" would
    # otherwise be reported as a typo. isascii(): "ı".upper() is "I", "ſ".upper() is "S".
    text = text.upper() if text.isascii() else ""
    if not _IBAN_RE.fullmatch(text):
        raise ValidationError(_l("Enter an IBAN, for example LV80 BANK 0000 4351 9500 1."))
    try:
        return stdnum_iban.validate(text)
    except InvalidChecksum:
        raise ValidationError(_l("This IBAN has a typo: its check digits do not match.")) from None
    except StdnumError:
        raise ValidationError(
            _l("Enter an IBAN, for example LV80 BANK 0000 4351 9500 1.")
        ) from None


def format_iban(compact: str) -> str:
    """Display form of an IBAN: groups of four characters."""
    compact = compact.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _category_ok(category: str) -> bool:
    # Letters, marks and decimal digits only: not "½", "²" or Roman-numeral code points.
    return category[0] in "LM" or category == "Nd"


def validate_postal_address(value: str) -> str:
    """Accept a one-line postal address: letters, digits, spaces and , . - / # ' " ( )."""
    address = " ".join(clean_text(value, max_len=ADDRESS_MAX_LEN).split())
    if len(address) < ADDRESS_MIN_LEN:
        raise ValidationError(
            _l("Enter the full address, for example Brīvības iela 1-2, Rīga, LV-1010.")
        )
    # Quotes stay allowed: Latvian rural addresses name the farmstead, e.g. "Ozoli", Ādažu pag.
    allowed = all(
        ch in _ADDRESS_PUNCTUATION or _category_ok(unicodedata.category(ch)) for ch in address
    )
    if not allowed or _has_combining_stack(address):
        raise ValidationError(
            _l("An address may contain only letters, digits, spaces and , . - / # ' \" ( ).")
        )
    return address
