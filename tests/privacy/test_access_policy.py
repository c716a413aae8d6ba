"""Need to know: for every role and field, exactly the fields DESIGN.md's role table gives."""

import pytest

from clubsite.extensions import db
from clubsite.privacy import access, fields
from tests.privacy.factories import JANIS, enrol

EVERY_PURPOSE = ["access", "fees", "newsletter", "bookings"]
ALL_FIELDS = {"first_name", "last_name", "email", "phone", "postal_address", "iban", "card_number"}

# DESIGN.md: reception sees access + bookings fields, the accountant fees fields, marketing and
# staff no personal data at all, the admin everything.
EXPECTED = {
    "admin": ALL_FIELDS,
    "reception": {"first_name", "last_name", "card_number", "phone", "email"},
    "accountant": {"first_name", "last_name", "email", "postal_address", "iban"},
    "marketing": set(),
    "staff": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_visible_fields_per_role(app, make_staff, role):
    """A member in every purpose shows each role exactly its fields."""
    member = enrol({**JANIS, "phone": "+371 2612 3456"}, EVERY_PURPOSE)
    user = make_staff(role)
    assert access.visible_fields(user, member) == EXPECTED[role]


def test_reception_does_not_see_the_email_given_only_for_fees(app, make_staff):
    """Email given for fees (not bookings) stays hidden from reception."""
    member = enrol(JANIS, ["access", "fees"])
    assert "email" not in access.visible_fields(make_staff("reception"), member)


def test_untrained_staff_see_nothing(app, make_staff):
    """Without the current policy acknowledgement and training: no fields, no reads."""
    member = enrol(JANIS, ["access"])
    newcomer = make_staff("reception", trained=False)
    assert access.visible_fields(newcomer, member) == set()
    with pytest.raises(access.AccessDenied):
        access.read_member(newcomer, member)


def test_fields_outside_the_role_are_never_decrypted(app, make_staff):
    """read_member decrypts only visible fields: others are not even in the view."""
    member = enrol(JANIS, ["access", "fees"])
    view = access.read_member(make_staff("reception"), member)
    assert set(view.values) == {"first_name", "last_name", "card_number"}
    assert [p.purpose for p in view.purposes] == ["access"]


def test_reads_are_audited_with_field_names_only(app, make_staff):
    """The audit event names the fields and holds no value."""
    from sqlalchemy import select

    from clubsite.privacy.audit import AuditEvent

    member = enrol(JANIS, ["access", "fees"])
    user = make_staff("accountant")
    access.read_member(user, member)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.read")).one()
    assert event.subject_id == member.public_id
    assert set(event.fields.split(",")) == {
        "first_name",
        "last_name",
        "email",
        "postal_address",
        "iban",
    }
    assert "Bērziņš" not in event.canonical() and "@" not in event.canonical()


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("admin", "erase", True),
        ("admin", "export", True),
        ("reception", "view", True),
        ("reception", "edit", True),
        ("reception", "erase", False),
        ("reception", "export", False),
        ("accountant", "erase", False),
        ("marketing", "view", False),
        ("staff", "view", False),
    ],
)
def test_actions_per_role(app, make_staff, role, action, allowed):
    """Who may view, edit, erase and export a member."""
    member = enrol(JANIS, ["access", "fees"])
    assert access.may(make_staff(role), action, member) is allowed


def test_a_role_cannot_act_on_members_outside_its_purposes(app, make_staff):
    """Reception cannot open a newsletter-only member."""
    member = enrol({"email": "news@example.lv"}, ["newsletter"])
    assert not access.may(make_staff("reception"), "view", member)
    assert fields.read(member, ["email"]) == {"email": "news@example.lv"}
