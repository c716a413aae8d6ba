"""two-factor recovery codes and yearly policy reviews

Revision ID: b15a2fa0c0de
Revises: b14a0b00c1e1
Create Date: 2026-12-01 15:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b15a2fa0c0de'
down_revision = 'b14a0b00c1e1'
branch_labels = None
depends_on = None


def upgrade():
    # Two-factor recovery codes: keyed hashes only (clubsite.staff.recovery).
    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_recovery_code_staff_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_code_code_hash'))
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_staff_id'), ['staff_id'], unique=False)

    # Yearly reviews of the privacy notice, the staff policy and the cookie page
    # (clubsite.privacy.policy_review).
    op.create_table('policy_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['reviewed_by'], ['staff_user.id'], name=op.f('fk_policy_review_reviewed_by_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_review'))
    )
    with op.batch_alter_table('policy_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_review_document'), ['document'], unique=False)


def downgrade():
    with op.batch_alter_table('policy_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_review_document'))
    op.drop_table('policy_review')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_staff_id'))
    op.drop_table('recovery_code')
