"""indexes for retention's erasure and the day's run

Name tokens: on SQLite the table is rebuilt WITHOUT ROWID, its primary key (member id, token)
being the table itself: deleting a member's tokens then changes two b-trees instead of three
(table, primary key, token index), and the token index holds the member id (a search by token
reads the index alone). PostgreSQL keeps its table as it is.

Invoices: (membership, status, period end) serves the lapse's daily "paid through the cutoff?"
look-up from the index alone; it replaces the index on the membership alone (its prefix).

Revision ID: b11a1dx00001
Revises: b15a2fa0c0de
Create Date: 2026-12-01 15:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b11a1dx00001'
down_revision = 'b15a2fa0c0de'
branch_labels = None
depends_on = None


def _rebuild_name_tokens(with_rowid):
    """Rebuild member_name_token on SQLite with or without a rowid (same columns, keys, index).

    Nothing refers to the table, so it can be dropped with foreign keys on."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    suffix = "" if with_rowid else " WITHOUT ROWID"
    bind.exec_driver_sql(
        "CREATE TABLE _member_name_token_new (\n"
        "\tmember_id INTEGER NOT NULL, \n"
        "\ttoken BLOB NOT NULL, \n"
        "\tCONSTRAINT pk_member_name_token PRIMARY KEY (member_id, token), \n"
        "\tCONSTRAINT fk_member_name_token_member_id_member FOREIGN KEY(member_id) "
        "REFERENCES member (id) ON DELETE CASCADE\n"
        f"){suffix}"
    )
    bind.exec_driver_sql(
        "INSERT INTO _member_name_token_new (member_id, token) "
        "SELECT member_id, token FROM member_name_token ORDER BY member_id, token"
    )
    bind.exec_driver_sql("DROP TABLE member_name_token")
    bind.exec_driver_sql("ALTER TABLE _member_name_token_new RENAME TO member_name_token")
    bind.exec_driver_sql("CREATE INDEX ix_member_name_token_token ON member_name_token (token)")


def upgrade():
    # --- reports/newsletter indexes ---
    # Report sections read from these indexes alone; each replaces the single-column index of
    # migration a81c928fb47b (or the plan's foreign-key index) that it starts with.
    op.drop_index('ix_invoice_issued_on', table_name='invoice')
    op.create_index('ix_invoice_issued_report', 'invoice', ['issued_on', 'status', 'amount_cents'], unique=False)
    op.drop_index('ix_payment_paid_on', table_name='payment')
    op.create_index('ix_payment_paid_report', 'payment', ['paid_on', 'method', 'returned_on', 'amount_cents'], unique=False)
    op.drop_index('ix_member_purpose_started_at', table_name='member_purpose')
    op.create_index('ix_member_purpose_purpose_started', 'member_purpose', ['purpose', 'started_at', 'member_id'], unique=False)
    op.drop_index('ix_membership_plan_id', table_name='membership')
    op.create_index('ix_membership_plan_member', 'membership', ['plan_id', 'member_id', 'starts_on', 'ends_on'], unique=False)
    op.create_index('ix_consent_event_purpose_kind_at', 'consent_event', ['purpose', 'kind', 'at'], unique=False)
    op.create_index('ix_check_in_site_at', 'check_in', ['location_id', 'at', 'allowed'], unique=False)
    # --- end of reports/newsletter indexes ---
    _rebuild_name_tokens(with_rowid=False)
    op.create_index(
        'ix_invoice_membership_status_end',
        'invoice',
        ['membership_id', 'status', 'period_end'],
        unique=False,
    )
    op.drop_index('ix_invoice_membership_id', table_name='invoice')


def downgrade():
    # --- reports/newsletter indexes ---
    op.drop_index('ix_check_in_site_at', table_name='check_in')
    op.drop_index('ix_consent_event_purpose_kind_at', table_name='consent_event')
    op.drop_index('ix_membership_plan_member', table_name='membership')
    op.create_index('ix_membership_plan_id', 'membership', ['plan_id'], unique=False)
    op.drop_index('ix_member_purpose_purpose_started', table_name='member_purpose')
    op.create_index('ix_member_purpose_started_at', 'member_purpose', ['started_at'], unique=False)
    op.drop_index('ix_payment_paid_report', table_name='payment')
    op.create_index('ix_payment_paid_on', 'payment', ['paid_on'], unique=False)
    op.drop_index('ix_invoice_issued_report', table_name='invoice')
    op.create_index('ix_invoice_issued_on', 'invoice', ['issued_on'], unique=False)
    # --- end of reports/newsletter indexes ---
    op.create_index('ix_invoice_membership_id', 'invoice', ['membership_id'], unique=False)
    op.drop_index('ix_invoice_membership_status_end', table_name='invoice')
    _rebuild_name_tokens(with_rowid=True)
