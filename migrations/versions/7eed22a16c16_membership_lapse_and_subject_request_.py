"""membership lapse and subject request outcomes

Revision ID: 7eed22a16c16
Revises: c29bed592bc6
Create Date: 2026-12-01 10:09:23.446054

plan.grace_days: days a membership stays after its last paid or agreed day before it lapses.
membership.agreed_until: the valid-until date staff agreed, whatever the invoices say.
subject_request: the Art. 17(3) ground of a refused erasure, and the Art. 12(3) extension
(months, encrypted reason, when it was decided).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7eed22a16c16'
down_revision = 'c29bed592bc6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreed_until', sa.Date(), nullable=True))

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grace_days', sa.Integer(), server_default='14', nullable=False))

    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refusal_ground', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('extended_months', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('extension_reason_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('extended_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('subject_request', schema=None) as batch_op:
        batch_op.drop_column('extended_at')
        batch_op.drop_column('extension_reason_enc')
        batch_op.drop_column('extended_months')
        batch_op.drop_column('refusal_ground')

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('grace_days')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('agreed_until')
