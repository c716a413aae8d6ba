"""One person, one record, and never two people in one: a family shares a phone number and an
address, so neither is ever a match. Only an email address or a personal code identifies a
person; a shared phone or address is offered to staff as a possible duplicate, never merged."""

from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.privacy import fields as store
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ErasureJournal, Member
from tests.conftest import csrf_token
from tests.public.helpers import english, enrol, member_with_email, sign_up

ADD = "/office/members/new"
DUPLICATES = "/office/members/duplicates"
MOTHER = {
    "first_name": "Inese",
    "last_name": "Kalniņa",
    "email": "inese.kalnina@example.lv",
    "phone": "+371 2612 0001",
}


def _count():
    return db.session.scalar(select(func.count(Member.id)))


def test_the_desk_adds_a_family_member_with_the_shared_phone(client_for):
    """The daughter at the desk with the family's phone is added as herself, not found as her
    mother; the duplicates page then suggests the pair, and nothing is merged on its own."""
    mother = enrol(MOTHER, ["bookings"])
    admin = client_for("admin")
    english(admin)
    data = {
        "csrf_token": csrf_token(admin, ADD),
        "purposes": ["bookings"],
        "step": "submit",
        "language": "en",
        "newsletter_basis": "consent",
        "first_name": "Zane",
        "last_name": "Kalniņa",
        "email": "zane.kalnina@example.lv",
        "phone": "26120001",
    }
    added = admin.post(ADD, data=data)
    assert added.status_code == 302, added.get_data(as_text=True)
    assert _count() == 2
    daughter = member_with_email("zane.kalnina@example.lv")
    assert daughter is not None and daughter.id != mother.id
    db.session.refresh(mother)
    assert store.read(mother, ["first_name", "email"]) == {
        "first_name": "Inese",
        "email": MOTHER["email"],
    }
    page = admin.get(DUPLICATES).get_data(as_text=True)
    assert "Same phone number" in page
    assert "Inese Kalniņa" in page and "Zane Kalniņa" in page
    assert f"a={mother.public_id}&amp;b={daughter.public_id}" in page
    assert _count() == 2
    assert db.session.scalar(select(func.count(ErasureJournal.id))) == 0


def test_a_family_signing_up_online_is_suggested_not_merged(client, client_for, mailbox):
    """Two online sign-ups sharing a phone are two members, listed as possible duplicates."""
    sign_up(client, ["bookings"], MOTHER)
    sign_up(
        client,
        ["bookings"],
        {**MOTHER, "first_name": "Zane", "email": "zane.kalnina@example.lv"},
    )
    assert _count() == 2
    admin = client_for("admin")
    english(admin)
    page = admin.get(DUPLICATES).get_data(as_text=True)
    assert "Same phone number" in page and "Zane Kalniņa" in page
    assert _count() == 2


def test_the_same_postal_address_is_suggested(client_for):
    """Two members at one address (written differently) are suggested; the scan is audited
    with the field name only."""
    enrol(
        {"first_name": "Jānis", "last_name": "Liepa", "email": "janis.liepa@example.lv",
         "postal_address": "Brīvības iela 10-5, Rīga, LV-1010"},
        ["fees"],
    )  # fmt: skip
    enrol(
        {"first_name": "Marta", "last_name": "Liepa", "email": "marta.liepa@example.lv",
         "postal_address": "brivibas iela 10 - 5,  Riga, LV-1010"},
        ["fees"],
    )  # fmt: skip
    enrol(
        {"first_name": "Oskars", "last_name": "Egle", "email": "oskars@example.lv",
         "postal_address": "Brīvības iela 12-5, Rīga, LV-1010"},
        ["fees"],
    )  # fmt: skip
    admin = client_for("admin")
    english(admin)
    page = admin.get(DUPLICATES).get_data(as_text=True)
    assert "Same postal address" in page
    assert "Jānis Liepa" in page and "Marta Liepa" in page and "Oskars Egle" not in page
    scan = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "member.duplicates_scanned",
            AuditEvent.fields == "postal_address",
        )
    )
    assert scan is not None and scan.detail == "members=3"
    assert _count() == 3
