"""consent ledger outlives erasure

Revision ID: 4d6c6c5c11df
Revises: 7eed22a16c16
Create Date: 2026-12-01 10:12:16.467065

Each consent event gets the keyed hash of its address (`address_hash`: the suppression list's
hash, HMAC under the app's index key) and outlives its member: `member_id` becomes nullable and
loses its ON DELETE CASCADE, and an erasure detaches the rows (member_id NULL, proof emptied)
before the member row goes. Existing rows get their hash from their member's stored address
(rows whose member has no address left keep NULL).

The database keeps the ledger append-only: triggers refuse every DELETE and every UPDATE except
  - the detaching step of an erasure: member_id set to NULL and proof to '', nothing else;
  - a merge of duplicates moving rows to the kept member (member_id from one member to another,
    nothing else).
On PostgreSQL the trigger function lives in its own schema, `clubsite_guard`, so a restore
(which migrates a scratch schema, swaps its tables in and drops it) keeps a function the
triggers can call. On SQLite a later batch migration that rebuilds consent_event drops its
triggers: such a migration must create them again (create_sqlite_triggers below).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d6c6c5c11df"
down_revision = "7eed22a16c16"
branch_labels = None
depends_on = None

GUARD_SCHEMA = "clubsite_guard"
MESSAGE = "consent_event is append-only"
# What an allowed UPDATE may change: only member_id and proof, in one of two ways.
ALLOWED_CHANGE = (
    "((NEW.member_id IS NULL AND NEW.proof = '')"
    " OR (OLD.member_id IS NOT NULL AND NEW.member_id IS NOT NULL AND NEW.proof = OLD.proof))"
)
SQLITE_UNCHANGED = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id", "purpose", "kind", "at", "source", "actor", "wording_hash", "address_hash",
    )
)  # fmt: skip
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def create_sqlite_triggers():
    """The append-only triggers on SQLite (also for later migrations that rebuild the table)."""
    op.execute(
        "CREATE TRIGGER consent_event_no_delete BEFORE DELETE ON consent_event "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER consent_event_no_update BEFORE UPDATE ON consent_event "
        f"WHEN NOT ({SQLITE_UNCHANGED} AND {ALLOWED_CHANGE}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END"
    )


def create_postgres_trigger():
    """The append-only trigger on PostgreSQL; every column but member_id and proof must stay."""
    op.execute(f'CREATE SCHEMA IF NOT EXISTS "{GUARD_SCHEMA}"')
    op.execute(
        f'CREATE OR REPLACE FUNCTION "{GUARD_SCHEMA}".consent_event_append_only() '
        "RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'UPDATE'\n"
        "     AND (to_jsonb(NEW) - 'member_id' - 'proof')\n"
        "       = (to_jsonb(OLD) - 'member_id' - 'proof')\n"
        f"     AND {ALLOWED_CHANGE} THEN\n"
        "    RETURN NEW;\n"
        "  END IF;\n"
        f"  RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'restrict_violation';\n"
        "END;\n"
        "$$"
    )
    op.execute(
        "CREATE TRIGGER consent_event_append_only BEFORE UPDATE OR DELETE ON consent_event "
        f'FOR EACH ROW EXECUTE FUNCTION "{GUARD_SCHEMA}".consent_event_append_only()'
    )


def _backfill_address_hashes(conn):
    """Give existing events the keyed hash of their member's address (decrypted in memory)."""
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT m.id, m.public_id, m.email_enc FROM member m "
            "JOIN consent_event e ON e.member_id = m.id WHERE m.email_enc IS NOT NULL"
        )
    ).all()
    if not rows:
        return
    from flask import current_app  # Flask-Migrate runs migrations inside the app context

    # The formats of stored values and blind indexes (changing them would orphan all data).
    from clubsite.privacy.crypto import blind_index, decrypt_field

    ring = current_app.config["KEY_RING"]
    for member_id, public_id, blob in rows:
        email = decrypt_field(ring, bytes(blob), table="member", column="email", row_id=public_id)
        # clubsite.privacy.consent.address_hash: normalize_email_for_index, kind "suppress".
        digest = blind_index(ring, "suppress", email.strip().translate(_ASCII_LOWER))
        conn.execute(
            sa.text("UPDATE consent_event SET address_hash = :h WHERE member_id = :m"),
            {"h": digest, "m": member_id},
        )


def upgrade():
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_hash", sa.LargeBinary(length=16), nullable=True))
        batch_op.alter_column("member_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_consent_event_address_hash"), ["address_hash"], unique=False
        )
        batch_op.drop_constraint(
            batch_op.f("fk_consent_event_member_id_member"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consent_event_member_id_member"), "member", ["member_id"], ["id"]
        )
    conn = op.get_bind()
    _backfill_address_hashes(conn)
    if conn.dialect.name == "postgresql":
        create_postgres_trigger()
    else:
        create_sqlite_triggers()


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_event_append_only ON consent_event")
        op.execute(f'DROP FUNCTION IF EXISTS "{GUARD_SCHEMA}".consent_event_append_only()')
    else:
        op.execute("DROP TRIGGER IF EXISTS consent_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS consent_event_no_delete")
    # Detached events (their members are gone) cannot go back under a NOT NULL member link.
    op.execute("DELETE FROM consent_event WHERE member_id IS NULL")
    with op.batch_alter_table("consent_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_consent_event_member_id_member"), type_="foreignkey"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consent_event_member_id_member"),
            "member",
            ["member_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_index(batch_op.f("ix_consent_event_address_hash"))
        batch_op.alter_column("member_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("address_hash")
