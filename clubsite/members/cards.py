"""Member card numbers: issued by the system, 12 digits with a Luhn check digit; and the QR
code on the card, which holds the number and nothing else."""

import secrets

import segno
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.privacy.fields import index_value
from clubsite.privacy.models import Member

PREFIX = "77"
LENGTH = 12


def luhn_digit(digits):
    """The Luhn check digit for a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_card_number(text):
    """True if the text has the shape and check digit of one of our card numbers."""
    text = text.strip().replace(" ", "")
    return (
        len(text) == LENGTH
        and text.isdigit()
        and text.startswith(PREFIX)
        and luhn_digit(text[:-1]) == text[-1]
    )


def normalise_card_number(text):
    """Strip spaces a reader or a person may add."""
    return text.strip().replace(" ", "")


def issue_card_number():
    """A new random card number that no member has."""
    while True:
        body = PREFIX + "".join(secrets.choice("0123456789") for _ in range(LENGTH - 3))
        number = body + luhn_digit(body)
        taken = db.session.scalar(
            select(Member.id).where(Member.card_number_bidx == index_value("card_number", number))
        )
        if taken is None:
            return number


def group_card_number(number):
    """The number in groups of four, as printed on the card (readers ignore the spaces)."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def card_qr(number):
    """The card's QR code: the bare card number (no name, no address), error correction H so a
    scratched card or a cracked phone screen still reads."""
    return segno.make_qr(normalise_card_number(number), error="h", boost_error=False)


def card_qr_data_uri(number, *, scale=8):
    """The card's QR as a PNG data URI (the CSP allows data: images; no extra request)."""
    return card_qr(number).png_data_uri(scale=scale, border=4)
