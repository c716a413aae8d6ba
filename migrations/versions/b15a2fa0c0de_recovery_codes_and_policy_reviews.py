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
    pass


def downgrade():
    pass
