"""Normalisation for blind indexes and prefix search."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clubsite.privacy.crypto import KeyRing, blind_index
from clubsite.privacy.normalize import (
    MAX_PREFIX,
    MIN_PREFIX,
    fold_text,
    name_prefixes,
    normalize_code_for_index,
    normalize_email_for_index,
    normalize_phone_for_index,
    search_prefix,
)
from clubsite.privacy.validation import validate_phone

LATVIAN_LOWER = "aābcčdeēfgģhiījkķlļmnņoprsštuūvzž"
LATVIAN = LATVIAN_LOWER + LATVIAN_LOWER.upper() + " -"
RING = KeyRing.generate()


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Bērziņš", "berzins"),
        ("ĶĒĶIS", "kekis"),
        ("Jānis  Ozoliņš ", "janis ozolins"),
        ("ĢIRTS ĻAUDIS Ņina Čaks Žanis Šis", "girts laudis nina caks zanis sis"),
        ("Ąžuolas Ėglė Įvykis Ųla", "azuolas egle ivykis ula"),
        ("Łukasz Żółć Straße", "lukasz zolc strasse"),
        ("Øystein Æsa Œuvre Þór", "oystein aesa oeuvre thor"),
        ("\tAnna\u00a0Marija\n", "anna marija"),
        ("Анна-Мария", "анна-мария"),
        ("", ""),
    ],
)
def test_fold_text_examples(raw, folded):
    assert fold_text(raw) == folded


@given(st.text())
def test_fold_text_idempotent(value):
    assert fold_text(fold_text(value)) == fold_text(value)


@given(st.text(alphabet=LATVIAN))
def test_fold_text_ignores_case_and_diacritics_of_latvian(value):
    assert fold_text(value.upper()) == fold_text(value) == fold_text(value.lower())
    assert fold_text(value).isascii()


def test_email_index_lowers_ascii_only():
    assert normalize_email_for_index("  Janis.Berzins@Example.LV ") == "janis.berzins@example.lv"
    kelvin = "\u212aarlis@example.com"
    # str.lower() would give "karlis@example.com": a different mailbox would share the index.
    assert normalize_email_for_index(kelvin) == kelvin
    assert normalize_email_for_index(kelvin) != normalize_email_for_index("karlis@example.com")
    assert normalize_email_for_index("ÅSA@x.se") == "Åsa@x.se"


@pytest.mark.parametrize(
    "raw", ["20000000", "+371 2000 0000", "(+371) 20-000-000", "0037120000000", "+37120000000"]
)
def test_phone_spellings_share_one_index(raw):
    e164 = validate_phone(raw)
    assert e164 == "+37120000000"
    assert blind_index(RING, "phone", normalize_phone_for_index(e164)) == blind_index(
        RING, "phone", "+37120000000"
    )


@pytest.mark.parametrize(
    "bad", ["37120000000", "+0371200", "+3712", "+371 2000 0000", "+٣٧١٢٠٠٠٠٠٠٠"]
)
def test_phone_index_requires_e164(bad):
    with pytest.raises(ValueError):
        normalize_phone_for_index(bad)


def test_code_index_keeps_ascii_digits_only():
    assert normalize_code_for_index(" 010190-12345 ") == "01019012345"
    assert normalize_code_for_index("٠١٢3") == "3"


def test_name_prefixes():
    assert name_prefixes("Jānis Bērziņš") == [
        "ja",
        "jan",
        "jani",
        "janis",
        "be",
        "ber",
        "berz",
        "berzi",
        "berzin",
        "berzins",
    ]
    assert name_prefixes("Anna Anna-Marija")[:3] == ["an", "ann", "anna"]
    assert name_prefixes("Anna Anna") == ["an", "ann", "anna"]  # deduplicated
    assert name_prefixes("Aleksandrovičs")[-1] == "aleksand"  # capped at MAX_PREFIX
    assert name_prefixes("O’Brien") == name_prefixes("O'Brien") == name_prefixes("o brien")
    assert name_prefixes("A B") == []
    assert name_prefixes("Jānis", min_len=3, max_len=4) == ["jan", "jani"]
    with pytest.raises(ValueError):
        name_prefixes("x", min_len=5, max_len=4)


@given(st.text(alphabet=LATVIAN + "'’.", max_size=40))
def test_every_search_prefix_of_a_name_is_indexed(name):
    prefixes = set(name_prefixes(name))
    assert all(MIN_PREFIX <= len(p) <= MAX_PREFIX for p in prefixes)
    for word in name.split():
        query = search_prefix(word)
        if query is not None:
            assert query in prefixes


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("Bērz", "berz"),
        ("  BĒRZIŅŠĶIS ozols", "berzinsk"),
        ("Ā", None),
        ("", None),
        ("O'Brien", "brien"),
        ("J. Ozoliņš", "ozolins"),
    ],
)
def test_search_prefix(query, prefix):
    assert search_prefix(query) == prefix


def test_search_prefix_max_len():
    assert search_prefix("Bērziņš", max_len=3) == "ber"
