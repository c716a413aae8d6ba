"""email suppression hash

Each member's address gets, beside its blind index, its hash on the suppression list
(`email_suppression_hash`: clubsite.privacy.consent.address_hash, HMAC under the app's index key),
written whenever the address is (clubsite.privacy.fields.lookup_columns) and erased with it, so a
newsletter's audience checks the suppression list without decrypting every address. Existing
members get it from their stored address, decrypted in memory, in batches.

Revision ID: b16e5a1ec0de
Revises: b11a1dx00001
Create Date: 2026-12-01 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b16e5a1ec0de'
down_revision = 'b11a1dx00001'
branch_labels = None
depends_on = None

BATCH = 2000
# clubsite.privacy.normalize.normalize_email_for_index, frozen here: a migration must keep
# computing what it computed when it was written.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _backfill(conn):
    """Give every stored address its suppression hash, BATCH members per statement group."""
    select_batch = sa.text(
        "SELECT id, public_id, email_enc FROM member WHERE email_enc IS NOT NULL AND id > :after "
        "ORDER BY id LIMIT :batch"
    )
    rows = conn.execute(select_batch, {"after": 0, "batch": BATCH}).all()
    if not rows:
        return
    from flask import current_app  # Flask-Migrate runs migrations inside the app context

    # The formats of stored values and blind indexes (changing them would orphan all data).
    from clubsite.privacy.crypto import CryptoError, blind_index, decrypt_field

    ring = current_app.config["KEY_RING"]
    update = sa.text("UPDATE member SET email_suppression_hash = :h WHERE id = :m")
    while rows:
        values = []
        for member_id, public_id, blob in rows:
            try:
                email = decrypt_field(
                    ring, bytes(blob), table="member", column="email", row_id=public_id
                )
            except CryptoError:  # a damaged address stays without (the audience leaves it out)
                continue
            normalized = email.strip().translate(_ASCII_LOWER)
            values.append({"h": blind_index(ring, "suppress", normalized), "m": member_id})
        if values:
            conn.execute(update, values)
        rows = conn.execute(select_batch, {"after": rows[-1][0], "batch": BATCH}).all()


def upgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_suppression_hash', sa.LargeBinary(length=16), nullable=True))
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('email_suppression_hash')
