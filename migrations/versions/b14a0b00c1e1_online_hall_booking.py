"""online hall booking: halls bookable online, public bookings, weekly repeats

Revision ID: b14a0b00c1e1
Revises: a81c928fb47b
Create Date: 2026-12-01 15:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b14a0b00c1e1'
down_revision = 'a81c928fb47b'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
