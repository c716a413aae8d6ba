"""Input validators: accepted and refused inputs, normalised output, translatable messages."""

import datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.lv import pvn

from clubsite.privacy import validation as v
from clubsite.privacy.validation import (
    ValidationError,
    birth_date_from_personal_code,
    clean_text,
    format_iban,
    format_phone,
    validate_email,
    validate_iban,
    validate_name,
    validate_personal_code,
    validate_phone,
    validate_postal_address,
)

TODAY = datetime.date(2025, 6, 1)
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]
CONTROLS = ["\x00", "\x07", "\x1b", "\x7f", "\t"]


def _code(first10: str) -> str:
    """Complete ten digits with the check digit (weights 1,6,3,7,9,10,5,8,4,2)."""
    weights = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = (1101 - sum(w * int(d) for w, d in zip(weights, first10, strict=True))) % 11
    assert check < 10, "no check digit exists for these ten digits"
    return f"{first10[:6]}-{first10[6:]}{check}"


# --- clean_text ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", INVISIBLES + BIDI + BREAKS + CONTROLS + ["\ud800"])
def test_clean_text_refuses_hidden_characters(bad):
    with pytest.raises(ValidationError):
        clean_text(f"ab{bad}cd", max_len=50)


def test_clean_text_strips_normalises_and_limits():
    assert clean_text("  Ja\u0304nis \n", max_len=10) == "Jānis"  # NFC, trailing break stripped
    assert clean_text(None, max_len=5) == "" and clean_text("   ", max_len=5) == ""
    assert clean_text("12345", max_len=5) == "12345"
    with pytest.raises(ValidationError) as caught:
        clean_text("123456", max_len=5, field_label="Name")
    assert str(caught.value.message) == "Name: use at most 5 characters."
    with pytest.raises(ValidationError):
        clean_text("x" * 10_000, max_len=5)


def test_messages_are_lazy_english_msgids():
    with pytest.raises(ValidationError) as caught:
        validate_email("nope")
    message = caught.value.message
    assert type(message).__name__ == "LazyString"
    assert str(message) == "Enter a valid email address." == str(caught.value)
    assert isinstance(caught.value, ValueError)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Jānis", "Jānis"),
        ("Ąžuolas", "Ąžuolas"),
        ("Анна-Мария", "Анна-Мария"),
        ("O’Brien", "O’Brien"),
        ("O'Brien", "O'Brien"),
        ("Žanis Ēriks", "Žanis Ēriks"),
        ("  Anna   Marija ", "Anna Marija"),
        ("Anna\u00a0Marija", "Anna Marija"),
        ("Martin Luther King Jr.", "Martin Luther King Jr."),
        ("Ja\u0304nis", "Jānis"),
        ("李小龍", "李小龍"),
        ("Nguyễn Thị Minh", "Nguyễn Thị Minh"),
        ("x" * 80, "x" * 80),
    ],
)
def test_validate_name_accepts(raw, stored):
    assert validate_name(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "<script>",
        "Bob1",
        "a\u202eb",
        "Ann\u200b",
        "Anna\nMarija",
        "Robert'); DROP TABLE members;--",
        "Anna_Marija",
        "Anna@home",
        "...",
        "-'",
        "Z\u0301\u0302\u0303\u0304\u0305\u0306",
        "x" * 81,
        "😀",
    ],
)
def test_validate_name_refuses(raw):
    with pytest.raises(ValidationError):
        validate_name(raw)


# --- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("janis@example.com", "janis@example.com"),
        ("  Janis.Berzins@Example.LV ", "janis.berzins@example.lv"),
        ("anna+club@mail.example.org", "anna+club@mail.example.org"),
        ("Jānis@Bērziņš.LV", "jānis@xn--brzi-bva32apg.lv"),
        ("ÅSA@example.se", "Åsa@example.se"),
        ("\u017fam@example.com", "\u017fam@example.com"),
    ],
)
def test_validate_email_accepts(raw, stored):
    assert validate_email(raw) == stored


def test_email_lowercasing_is_ascii_only():
    # Long s casefolds to "s"; lowering it would merge it with another mailbox.
    assert validate_email("\u017fam@example.com") != validate_email("sam@example.com")


def test_kelvin_sign_is_canonically_k():
    # U+212A KELVIN SIGN canonically decomposes to "K", so NFC (which RFC 6532 and
    # email-validator apply) turns it into the same string as "Karlis": same mailbox, no
    # lowercasing trick involved. The index normaliser alone never maps it (see test_normalize).
    assert validate_email("\u212aarlis@example.com") == "karlis@example.com"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "nope",
        "a@b.lv\r\nBcc: x@y",
        "a@b.lv\nBcc: x@y",
        "a@b.lv\rBcc: x@y",
        "a\u202e@example.com",
        "an\u200bna@example.com",
        "anna @example.com",
        '"anna"@example.com',
        '"an na"@example.com',
        "Anna <anna@example.com>",
        "anna@example",
        "anna@localhost",
        "anna@site.test",
        "anna@@example.com",
        "anna@exa mple.com",
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".lv",
    ],
)
def test_validate_email_refuses(raw):
    with pytest.raises(ValidationError):
        validate_email(raw)


# --- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164", "shown"),
    [
        ("20000000", "+37120000000", "+371 2000 0000"),
        ("+371 2000 0000", "+37120000000", "+371 2000 0000"),
        ("(+371) 20-000-000", "+37120000000", "+371 2000 0000"),
        ("0037120000000", "+37120000000", "+371 2000 0000"),
        ("67 000 000", "+37167000000", "+371 6700 0000"),
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"),
        ("+370 612 34567", "+37061234567", "+370 612 34567"),
    ],
)
def test_validate_and_format_phone(raw, e164, shown):
    assert validate_phone(raw) == e164
    assert format_phone(e164) == shown


def test_phone_region_parameter():
    assert validate_phone("0612 34567", region="LT") == "+37061234567"


@pytest.mark.parametrize(
    "raw",
    ["", "12345", "2000 0000 ext 5", "tel:20000000", "20000000a", "+371 2000\n0000", "+999 1234"],
)
def test_validate_phone_refuses(raw):
    with pytest.raises(ValidationError):
        validate_phone(raw)


def test_format_phone_needs_e164():
    with pytest.raises(ValueError):
        format_phone("20000000")


# --- personal code --------------------------------------------------------------------------

VALID_OLD = [
    "161175-19997",  # python-stdnum's own doctest example
    _code("0101901234"),
    _code("3112991000"),
    _code("2902002123"),  # 29 Feb 2000 existed
    _code("0107172345"),
    _code("3007850011"),
    _code("0101180456"),  # born 1818: century digit 0
    _code("1503620789"),
]


@pytest.mark.parametrize("code", VALID_OLD)
def test_old_codes_accepted_and_agree_with_stdnum(code):
    assert validate_personal_code(code, today=TODAY) == code
    assert validate_personal_code(code.replace("-", ""), today=TODAY) == code
    assert validate_personal_code(f"  {code} ", today=TODAY) == code
    assert pvn.is_valid(code)


@pytest.mark.parametrize(
    "code", ["320000-00000", "328673-00679", "328673-00677", "331234-56789", "399999-99999"]
)
def test_new_codes_accepted_with_or_without_hyphen(code):
    assert validate_personal_code(code) == code
    assert validate_personal_code(code.replace("-", "")) == code
    assert birth_date_from_personal_code(code) is None


def test_stdnum_disagrees_on_new_codes():
    # stdnum checks a check digit on 32... codes and refuses 33..39 outright; we don't.
    assert not pvn.is_valid("32867300677") and not pvn.is_valid("33123456789")


def test_birth_dates():
    assert birth_date_from_personal_code("161175-19997") == datetime.date(1975, 11, 16)
    assert birth_date_from_personal_code(_code("0101180456")) == datetime.date(1818, 1, 1)
    assert birth_date_from_personal_code(_code("0107172345")) == datetime.date(2017, 7, 1)


def _refusal(code: str) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_personal_code(code, today=TODAY)
    return caught.value.message


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("161175-19998", v.MSG_CODE_CHECK),
        ("161175-19990", v.MSG_CODE_CHECK),
        ("01019010010", v.MSG_CODE_CHECK),  # sum gives 10: no valid check digit
        ("310299-12345", v.MSG_CODE_DATE),  # no 31 February
        (_code("2902001123"), v.MSG_CODE_DATE),  # 1900 was no leap year
        ("000190-12345", v.MSG_CODE_DATE),
        ("011390-12345", v.MSG_CODE_DATE),
        ("610190-12345", v.MSG_CODE_DATE),
        ("161175-39997", v.MSG_CODE_CENTURY),
        ("161175-99997", v.MSG_CODE_CENTURY),
        (_code("0101262345"), v.MSG_CODE_FUTURE),  # 2026 is after TODAY
        ("40003009497", v.MSG_CODE_COMPANY),
        ("40003521600", v.MSG_CODE_COMPANY),
        ("50003009497", v.MSG_CODE_COMPANY),
        ("90000012345", v.MSG_CODE_COMPANY),
        ("", v.MSG_CODE_FORMAT),
        ("abcdef-ghijk", v.MSG_CODE_FORMAT),
        ("1611751999", v.MSG_CODE_FORMAT),
        ("161175199970", v.MSG_CODE_FORMAT),
        ("161175--19997", v.MSG_CODE_FORMAT),
        ("1611-7519997", v.MSG_CODE_FORMAT),
        ("161175 19997", v.MSG_CODE_FORMAT),
        ("١٦١١٧٥-١٩٩٩٧", v.MSG_CODE_FORMAT),  # Arabic-Indic digits
    ],
)
def test_personal_code_refusals(code, message):
    assert _refusal(code) is message


def test_personal_code_hidden_characters_refused():
    with pytest.raises(ValidationError):
        validate_personal_code("161175-1999\u200b7")


def test_stdnum_accepts_what_we_refuse():
    # python-stdnum's lv.pvn is a VAT-number check: it takes company numbers, writes a check
    # sum of 10 as "0", and reads century digits 3..9 as 2100..2700 with no future check.
    for code in ["40003009497", "01019010010", _code("1611753999")]:
        assert pvn.is_valid(code)
        with pytest.raises(ValidationError):
            validate_personal_code(code)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_random_eleven_digits_never_crash(digits):
    try:
        code = validate_personal_code(digits)
    except ValidationError:
        return
    assert code == f"{digits[:6]}-{digits[6:]}"
    if not (digits[0] == "3" and digits[1] in "23456789"):
        assert pvn.is_valid(digits)  # our old-code rules are stricter than stdnum's


@given(
    st.dates(datetime.date(1800, 1, 1), datetime.date(2029, 12, 31)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_generated_old_codes(born, serial):
    first10 = born.strftime("%d%m%y") + str(born.year // 100 - 18) + serial
    weights = (1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = (1101 - sum(w * int(d) for w, d in zip(weights, first10, strict=True))) % 11
    assume(check < 10 and born <= datetime.date.today())
    code = f"{first10[:6]}-{first10[6:]}{check}"
    assert validate_personal_code(code) == code
    assert birth_date_from_personal_code(code) == born
    assert pvn.is_valid(code)


# --- IBAN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "LV80BANK0000435195001",
        "LV80 BANK 0000 4351 9500 1",
        "lv80bank0000435195001",
        " lv80 bank 0000 4351 9500 1 ",
        "LV80-BANK-0000-4351-9500-1",
    ],
)
def test_validate_iban_accepts(raw):
    assert validate_iban(raw) == "LV80BANK0000435195001"
    assert format_iban(validate_iban(raw)) == "LV80 BANK 0000 4351 9500 1"


def test_foreign_iban():
    assert validate_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


@pytest.mark.parametrize(
    ("raw", "typo"),
    [
        ("LV80BANK0000435195002", True),  # flipped last digit
        ("LV81BANK0000435195001", True),  # flipped check digit
        ("LV80BANK000043519500", True),  # digit missing
        ("hello", False),
        ("", False),
        ("40003009497", False),
        ("LV80BANK00004351950\u200b01", False),
        ("ＬＶ80BANK0000435195001", False),  # full-width letters
        ("LV80BANK0000435195ſ01", False),
    ],
)
def test_validate_iban_refuses(raw, typo):
    with pytest.raises(ValidationError) as caught:
        validate_iban(raw)
    assert ("typo" in str(caught.value)) is typo


# --- postal address -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Brīvības iela 1-2, Rīga, LV-1010", "Brīvības iela 1-2, Rīga, LV-1010"),
        ('"Ozoli", Ādažu pag., Ādažu nov., LV-2164', '"Ozoli", Ādažu pag., Ādažu nov., LV-2164'),
        ("„Ozoli“, Carnikavas pag.", "„Ozoli“, Carnikavas pag."),
        ("Gedimino pr. 9/11 #3,  Vilnius", "Gedimino pr. 9/11 #3, Vilnius"),
        ("  Elizabetes iela 2 ", "Elizabetes iela 2"),
    ],
)
def test_validate_postal_address_accepts(raw, stored):
    assert validate_postal_address(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "Rīga",
        "<b>Rīga</b> 1",
        "Street 1 > Rīga",
        "Brīvības iela 1\nRīga",
        "Brīvības iela 1\u202e, Rīga",
        "Brīvības iela 1; DROP",
        "Brīvības iela ½",
        "x" * 201,
    ],
)
def test_validate_postal_address_refuses(raw):
    with pytest.raises(ValidationError):
        validate_postal_address(raw)
