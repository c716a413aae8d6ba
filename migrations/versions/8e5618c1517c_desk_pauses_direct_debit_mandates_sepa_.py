"""desk pauses, direct debit mandates, sepa batches, bank statements

Membership pauses and a billing anchor; SEPA mandates and collection batches; an invoice's
collection status; returned payments; imported bank statements and the lines that concern fees.

Revision ID: 8e5618c1517c
Revises: 4d6c6c5c11df
Create Date: 2026-12-01 10:17:42.337101

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e5618c1517c'
down_revision = '4d6c6c5c11df'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sepa_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('payment_info_ids', sa.String(length=200), nullable=False),
    sa.Column('collection_date', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sepa_batch')),
    sa.UniqueConstraint('message_id', name=op.f('uq_sepa_batch_message_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_sepa_batch_public_id'))
    )
    op.create_table('statement_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('account', sa.String(length=34), nullable=False),
    sa.Column('statement_ref', sa.String(length=80), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=36), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('unmatched', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('ignored', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_import')),
    sa.UniqueConstraint('public_id', name=op.f('uq_statement_import_public_id'))
    )
    op.create_table('mandate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=35), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('sequence', sa.String(length=4), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_mandate_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandate')),
    sa.UniqueConstraint('public_id', name=op.f('uq_mandate_public_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_mandate_reference'))
    )
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandate_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mandate_status'), ['status'], unique=False)

    op.create_table('membership_pause',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_membership_pause_pause_order')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_membership_pause_membership_id_membership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_pause')),
    sa.UniqueConstraint('public_id', name=op.f('uq_membership_pause_public_id'))
    )
    with op.batch_alter_table('membership_pause', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_pause_membership_id'), ['membership_id'], unique=False)

    op.create_table('statement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('line_key', sa.String(length=64), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=9), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('suggested_invoice_id', sa.Integer(), nullable=True),
    sa.Column('payer_name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('reference_enc', sa.LargeBinary(), nullable=True),
    sa.Column('details_until', sa.Date(), nullable=True),
    sa.Column('keep_until', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['statement_import.id'], name=op.f('fk_statement_line_import_id_statement_import'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_statement_line_invoice_id_invoice'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggested_invoice_id'], ['invoice.id'], name=op.f('fk_statement_line_suggested_invoice_id_invoice'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_line')),
    sa.UniqueConstraint('line_key', name=op.f('uq_statement_line_line_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_statement_line_public_id'))
    )
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_line_details_until'), ['details_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_keep_until'), ['keep_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_line_status'), ['status'], unique=False)

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collection_status', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('collection_sequence', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('collection_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoice_collection_batch_id'), ['collection_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_collection_status'), ['collection_status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invoice_collection_batch_id_sepa_batch'), 'sepa_batch', ['collection_batch_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_anchor', sa.Date(), nullable=True))

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('returned_on')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('billing_anchor')

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoice_collection_batch_id_sepa_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invoice_collection_status'))
        batch_op.drop_index(batch_op.f('ix_invoice_collection_batch_id'))
        batch_op.drop_column('collection_batch_id')
        batch_op.drop_column('collection_sequence')
        batch_op.drop_column('collection_status')

    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_line_status'))
        batch_op.drop_index(batch_op.f('ix_statement_line_keep_until'))
        batch_op.drop_index(batch_op.f('ix_statement_line_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_statement_line_import_id'))
        batch_op.drop_index(batch_op.f('ix_statement_line_details_until'))

    op.drop_table('statement_line')
    with op.batch_alter_table('membership_pause', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_pause_membership_id'))

    op.drop_table('membership_pause')
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandate_status'))
        batch_op.drop_index(batch_op.f('ix_mandate_member_id'))

    op.drop_table('mandate')
    op.drop_table('statement_import')
    op.drop_table('sepa_batch')
