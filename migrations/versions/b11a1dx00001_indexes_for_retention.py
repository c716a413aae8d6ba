"""indexes for retention's erasure and the day's run

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


def upgrade():
    pass


def downgrade():
    pass
