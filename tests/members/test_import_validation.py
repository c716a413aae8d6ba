"""The import's faster checks decide exactly as the sign-up's: the email fast path against
email_validator itself, clean_text's shortcut against the character-by-character rule, and the
import's once-per-value verdicts against members.service.clean_values row by row."""

import random
import unicodedata

import email_validator
import pytest

from clubsite.members import import_files, importer, service
from clubsite.privacy import validation
from clubsite.privacy.validation import ValidationError, clean_text

FORBIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _library_email(value):
    """validation.validate_email as it was before the fast path: email_validator on every value."""
    address = clean_text(value, max_len=validation.EMAIL_MAX_LEN)
    if not address or '"' in address or any(ch.isspace() for ch in address):
        raise ValidationError("refused")
    try:
        info = email_validator.validate_email(address, check_deliverability=False, strict=True)
    except email_validator.EmailNotValidError:
        raise ValidationError("refused") from None
    normalized = f"{info.local_part.translate(validation._ASCII_LOWER)}@{info.ascii_domain.lower()}"
    if len(normalized) > validation.EMAIL_MAX_LEN:
        raise ValidationError("refused")
    return normalized


def _outcome(check, value):
    try:
        return check(value)
    except ValidationError:
        return "refused"


TRICKY = [
    "janis@example.lv", "Janis.Berzins@Inbox.LV", "a+tag@gmail.com", "a@b.co", "a@b", "a@b.c",
    "a@localhost", "a@example.test", "a@x.invalid", "a@x.onion", "a@host.local", "a@x.arpa",
    "a@123.45", "a@b.123", "a@1.2.3.4", "a@[1.2.3.4]", "a@b..c", "a@.b.c", "a@b.c.", ".a@b.c",
    "a.@b.c", "a..b@c.lv", "a@-b.lv", "a@b-.lv", "a@b_c.lv", "a@B.LV", "a@xn--80ak6aa92e.com",
    "a@xn--bcher-kva.example", "a@xn--zz.com", "a@xn--.com", "Postmaster@Example.LV",
    "ABUSE@x.lv", "a<b@c.lv", "<a@c.lv>", "a>b@c.lv", "a\\b@c.lv", "a(b)@c.lv", "a,b@c.lv",
    "a;b@c.lv", "a:b@c.lv", "a[b]@c.lv", "!#$%&'*+/=?^_`{|}~-@c.lv", "a@@b.lv", "a@b@c.lv",
    "@b.lv", "a@", "a", "", "a@b.lv ", " a@b.lv", "ā@b.lv", "a@bē.lv", "a@b.ēē",
    "x" * 64 + "@b.lv", "x" * 65 + "@b.lv", "a@" + "b" * 63 + ".lv", "a@" + "b" * 64 + ".lv",
    "a@" + ".".join(["b" * 60] * 4) + ".lv", "x" * 64 + "@" + ".".join(["b" * 60] * 3) + ".lv",
    "a@" + "b" * 250 + ".lv", "a@b.l-v", "a@b.-lv", "a@1b.lv", "a@b.lv1", "a@b.1lv",
    "a@localhost.lv", "a@test.lv", "a@b.xn--p1ai", "a@xn--p1ai",
]  # fmt: skip


@pytest.mark.parametrize("value", TRICKY)
def test_the_email_fast_path_decides_as_email_validator(value):
    assert _outcome(validation.validate_email, value) == _outcome(_library_email, value)


def test_the_email_fast_path_decides_as_email_validator_on_random_addresses():
    """Thousands of random near-addresses, mostly of the fast path's shape."""
    rnd = random.Random(7)
    local_chars = "abcXYZ019.+-_!#$%&'*/=?^`{|}~<>\\()[],;:@ "
    domain_chars = "abcXYZ019.-_"
    labels = ["lv", "com", "example", "test", "localhost", "invalid", "xn--p1ai", "123", "a-b"]
    for _ in range(4000):
        local = "".join(rnd.choice(local_chars) for _ in range(rnd.randint(0, 12)))
        if rnd.random() < 0.5:
            domain = ".".join(rnd.choice(labels) for _ in range(rnd.randint(1, 3)))
        else:
            domain = "".join(rnd.choice(domain_chars) for _ in range(rnd.randint(0, 12)))
        value = f"{local}@{domain}"
        assert _outcome(validation.validate_email, value) == _outcome(_library_email, value), value


def test_clean_texts_shortcut_refuses_exactly_the_forbidden_characters():
    """Every code point, alone and inside a name: refused if and only if its category is one
    of the forbidden ones."""
    for code in range(0x30000):
        char = chr(code)
        forbidden = unicodedata.category(char) in FORBIDDEN
        refused = _outcome(lambda v: clean_text(v, max_len=50), f"ab{char}cd") == "refused"
        assert refused == forbidden, hex(code)


def _rows_with_repeats():
    good = "Jānis;Bērziņš;janis{n}@example.lv"
    bad = [
        "Jānis;Bērziņš;not-an-address",  # the same bad address in several rows
        "J@nis;Bērziņš;x{n}@example.lv",  # a bad name
        ";Bērziņš;y{n}@example.lv",  # a missing name
        "Jānis;" + "B" * 200 + ";z{n}@example.lv",  # too long
        "Jā\u200bnis;Bērziņš;w{n}@example.lv",  # an invisible character
    ]
    rows = []
    for n in range(60):
        rows.append((bad[n % len(bad)] if n % 3 == 0 else good).format(n=n))
    return rows


def test_each_row_gets_the_messages_clean_values_gives_it(app):
    """Values repeated across rows are checked once, yet every row is refused or accepted with
    exactly what clean_values and check_required say for it alone."""
    rows = _rows_with_repeats()
    data = ("Vārds;Uzvārds;E-pasts\n" + "\n".join(rows) + "\n").encode()
    table = import_files.read_table("x.csv", data)
    options = importer.check_options(["fees"], {})
    plan = importer.plan_import(table, importer.guess_mapping(table.headers), options)
    expected_refused, expected_good = [], []
    allowed = {f for f in importer.PURPOSES["fees"].typed_fields}
    for number, cells in table.rows:
        raw = dict(zip(["first_name", "last_name", "email"], cells, strict=True))
        try:
            values = service.clean_values(raw, allowed)
            service.check_required(values, ["fees"])
        except service.MemberError as exc:
            expected_refused += [(number, name, str(msg)) for name, msg in exc.errors.items()]
            continue
        expected_good.append((number, values))
    refused = [(number, name, str(message)) for number, name, message in plan.refused]
    assert sorted(refused) == sorted(expected_refused)
    assert len(refused) == 20  # every bad row, each time
    assert [(row.number, row.values) for row in plan.good] == expected_good
