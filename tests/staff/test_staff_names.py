"""Staff names are encrypted with the field crypto, like members' names; the migration encrypts
the names already stored."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clubsite.extensions import db
from clubsite.privacy import keys
from clubsite.privacy.crypto import decrypt_field
from clubsite.staff import service
from clubsite.staff.models import StaffUser

MIGRATION = "f2f0c6e5fdf4"  # security: encrypted staff names, damaged values, prepared exports
BEFORE = "8e5618c1517c"


def _raw_row(public_id):
    return (
        db.session.execute(
            sa.text("SELECT * FROM staff_user WHERE public_id = :p"), {"p": public_id}
        )
        .mappings()
        .one()
    )


def test_the_name_is_stored_encrypted_and_bound_to_its_row(app):
    """No plaintext column; the ciphertext decrypts only as staff_user/name of this row."""
    user = service.create_staff("zane@klubs.lv", "Zane Priedīte", ["reception"], None)
    db.session.commit()
    row = _raw_row(user.public_id)
    assert "name" not in row
    blob = bytes(row["name_enc"])
    assert "Priedīte".encode() not in blob and b"Zane" not in blob
    ring = app.config["KEY_RING"]
    assert (
        decrypt_field(ring, blob, table="staff_user", column="name", row_id=user.public_id)
        == "Zane Priedīte"
    )
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).name == "Zane Priedīte"


def test_pages_show_the_decrypted_name(client_for, make_staff):
    """The staff list and the greeting read the name as before."""
    make_staff("reception", name="Zane Priedīte", email="zane@klubs.lv")
    admin = client_for("admin", name="Pēteris Kalns")
    page = admin.get("/office/staff").get_data(as_text=True)
    assert "Zane Priedīte" in page and "Pēteris Kalns" in page


def test_key_rotation_covers_staff_names():
    """`flask keys rotate` re-encrypts the names too."""
    assert any(
        spec.table == "staff_user" and spec.columns.get("name_enc") == "name"
        for spec in keys.REGISTRY
    )


def test_the_migration_encrypts_existing_names(app):
    """A database from before: its plaintext names are encrypted by the upgrade, and back."""
    db.session.remove()
    db.engine.dispose()
    downgrade(revision=BEFORE)
    public_id = "11111111-2222-4333-8444-555555555555"
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO staff_user (public_id, email, name, roles, active, language, "
                "created_at, version) VALUES (:p, 'old@klubs.lv', 'Ērika Vecā', 'admin', "
                ":t, 'lv', CURRENT_TIMESTAMP, 1)"
            ),
            {"p": public_id, "t": True},
        )
    db.engine.dispose()
    upgrade(revision=MIGRATION)
    row = _raw_row(public_id)
    assert "name" not in row and b"Vec" not in bytes(row["name_enc"])
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.public_id == public_id))
    assert user.name == "Ērika Vecā"
    db.session.remove()
    db.engine.dispose()
    downgrade(revision=BEFORE)
    with db.engine.connect() as conn:
        name = conn.execute(
            sa.text("SELECT name FROM staff_user WHERE public_id = :p"), {"p": public_id}
        ).scalar()
    assert name == "Ērika Vecā"
    db.engine.dispose()
    upgrade()
