"""The member card: first name, card number and a QR of the number, nothing more.

Staff print it at the desk when their role covers the card number (the access purpose); the
member shows it from "My data" on a phone or prints it there. Either way it is a read of
personal data, audited with the two field names.
"""

from dataclasses import dataclass

from clubsite.domain import Actor, NotFound
from clubsite.members.cards import card_qr_data_uri, group_card_number
from clubsite.privacy import access, audit
from clubsite.privacy import fields as store

CARD_FIELDS = ("first_name", "card_number")


@dataclass(frozen=True)
class MemberCard:
    """What a card shows: the first name and the number, and the QR holding the number."""

    first_name: str
    number: str

    @property
    def grouped(self):
        """The number as printed, in groups of four."""
        return group_card_number(self.number)

    @property
    def qr(self):
        """The QR code as a PNG data URI."""
        return card_qr_data_uri(self.number)


def card_from(values):
    """The card for field values already read (and audited), e.g. "My data"'s own; None
    without a card number."""
    number = values.get("card_number")
    return MemberCard(values.get("first_name", ""), number) if number else None


def _card(member, names):
    card = card_from(store.read(member, list(names)))
    if card is None:  # a value that cannot be read (damaged) is no card either
        raise NotFound()
    return card


def staff_card(user, member):
    """The member's card for a staff member whose role covers the card number (audited).

    Anyone else (an accountant, a member without the access purpose) is refused.
    """
    access.require(user, "view", member)
    visible = access.visible_fields(user, member)
    if "card_number" not in visible:
        raise access.AccessDenied("card")
    names = [name for name in CARD_FIELDS if name in visible]
    card = _card(member, names)
    audit.record("member.card", subject=member.public_id, fields=names, actor=Actor.staff(user))
    return card


def own_card(member):
    """The member's own card for "My data" (audited, the member as the actor), or None when
    they hold no card (not enrolled in the access purpose)."""
    if not member.has_field("card_number"):
        return None
    names = [name for name in CARD_FIELDS if member.has_field(name)]
    card = _card(member, names)
    audit.record(
        "self_service.card",
        subject=member.public_id,
        fields=names,
        actor=Actor.member(member.public_id),
    )
    return card
