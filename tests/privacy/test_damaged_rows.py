"""One damaged ciphertext (for example moved to another row) no longer breaks every list and
search that includes it: the row is shown as damaged, the rest works, the event is audited, and
the admin home counts the damaged rows seen."""

import pytest
from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.privacy import fields
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.damage import DamagedValue
from clubsite.privacy.models import Member
from tests.conftest import csrf_token
from tests.privacy.factories import JANIS, LIGA, enrol


@pytest.fixture
def damaged(app):
    """Jānis, whose first name's ciphertext was copied from Līga's row; and Līga, intact."""
    janis = enrol(JANIS, ["access", "fees"])
    liga = enrol(LIGA, ["access"])
    janis.first_name_enc = liga.first_name_enc  # valid ciphertext, bound to another row
    db.session.commit()
    return janis, liga


def _search(client, query):
    token = csrf_token(client, "/office/members")
    return client.post("/office/members", data={"q": query, "csrf_token": token})


def _damage_events(member):
    return db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "privacy.value_damaged", AuditEvent.subject_id == member.public_id
        )
    ).all()


def test_the_list_shows_the_damaged_row_and_every_other(client_for, damaged):
    """The list answers 200: Līga by name, Jānis marked damaged with his id."""
    janis, liga = damaged
    response = client_for("admin").get("/office/members")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Līga Ozoliņa" in page and "Bērziņš" in page
    assert "badge-danger" in page and janis.public_id in page
    events = _damage_events(janis)
    assert [(e.fields, e.actor_type) for e in events] == [("first_name", "system")]
    row = db.session.scalar(select(DamagedValue))
    assert (row.table_name, row.row_id, row.column_name) == (
        "member",
        janis.public_id,
        "first_name",
    )


@pytest.mark.parametrize("role", ["admin", "reception"])
def test_searches_that_include_it_keep_working(client_for, damaged, role):
    """A name search over both rows, and one that needs the decrypted names, answer 200."""
    janis, liga = damaged
    client = client_for(role)
    for query in ("Bērziņš", "Ozoliņa", "Bērziņš Jānis", "berzins"):
        response = _search(client, query)
        assert response.status_code == 200, query
    page = _search(client, "Bērziņš").get_data(as_text=True)
    assert janis.public_id in page and "badge-danger" in page
    assert liga.public_id in _search(client, "Ozoliņa").get_data(as_text=True)


def test_the_member_page_shows_what_can_be_read(client_for, damaged):
    """The detail page names the damaged field and shows the others."""
    janis, _liga = damaged
    page = client_for("admin").get(f"/office/members/{janis.public_id}").get_data(as_text=True)
    assert "Bērziņš" in page and JANIS["email"] in page
    assert janis.public_id in page and "badge-danger" in page


def test_the_admin_home_counts_damaged_rows_until_they_are_corrected(client_for, damaged):
    """The panel lists the row while it is damaged; after a correction it is gone."""
    janis, _liga = damaged
    admin = client_for("admin")
    admin.get("/office/members")  # seen once
    home = admin.get("/office/").get_data(as_text=True)
    assert janis.public_id in home and "first_name" in home
    assert janis.public_id not in client_for("reception").get("/office/").get_data(as_text=True)
    member = db.session.get(Member, janis.id)
    fields.write(member, {"first_name": "Jānis"})
    db.session.commit()
    assert janis.public_id not in admin.get("/office/").get_data(as_text=True)


def test_the_home_does_not_decrypt_the_members(client_for, damaged, app):
    """With nothing recorded, the panel is absent: the home does not look through every row."""
    janis, _liga = damaged
    home = client_for("admin").get("/office/").get_data(as_text=True)
    assert janis.public_id not in home
    assert db.session.scalar(select(func.count()).select_from(DamagedValue)) == 0


def test_seeing_it_again_updates_one_record(client_for, damaged):
    """Two views: one damaged_value row, one audit event per view."""
    janis, _liga = damaged
    admin = client_for("admin")
    admin.get("/office/members")
    admin.get("/office/members")
    assert db.session.scalar(select(func.count()).select_from(DamagedValue)) == 1
    assert len(_damage_events(janis)) == 2


def test_a_missing_key_counts_as_damage_too(client_for, app):
    """A value under a key the ring no longer holds: damaged, not a 500."""
    janis = enrol(JANIS, ["access"])
    blob = bytearray(janis.last_name_enc)
    blob[2:4] = b"k9"  # the key id, same length: a key that does not exist
    janis.last_name_enc = bytes(blob)
    db.session.commit()
    response = client_for("admin").get("/office/members")
    assert response.status_code == 200 and janis.public_id in response.get_data(as_text=True)
