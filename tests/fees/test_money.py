"""Amounts typed the Latvian way are read exactly; anything else is refused with a message."""

import pytest

from clubsite.fees.money import MoneyError, cents_to_text, parse_money


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12,5", 1250),
        ("12", 1200),
        ("1 234,50", 123450),
        ("1\u00a0234,50 €", 123450),
        ("€ 0,01", 1),
        ("35 EUR", 3500),
    ],
)
def test_accepted_amounts(text, cents):
    """Decimal comma or point, spaces between thousands, an optional euro sign."""
    assert parse_money(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount"),
        ("-5", "cannot be negative"),
        ("−5,00", "cannot be negative"),
        ("0,00", "more than zero"),
        ("12,505", "Write the amount like"),
        ("1.234,50", "Write the amount like"),
        ("12 50", "Write the amount like"),
        ("abc", "Write the amount like"),
        ("1e3", "Write the amount like"),
        ("=1+2", "Write the amount like"),
        ("99999999999", "too large"),
    ],
)
def test_refused_amounts(app, text, message):
    """Empty, negative, too precise or malformed amounts are refused with a clear message."""
    with pytest.raises(MoneyError) as caught:
        parse_money(text)
    assert message in str(caught.value.message)


def test_cents_to_text_round_trips():
    """An amount shown in a form parses back to the same cents."""
    for cents in (1, 99, 1250, 123450):
        assert parse_money(cents_to_text(cents)) == cents
