"""online hall booking: halls bookable online, public bookings, weekly repeats

Revision ID: b14a0b00c1e1
Revises: a81c928fb47b
Create Date: 2026-12-01 15:45:00

Columns only (add_column with server defaults, DROP COLUMN back: no table rebuild).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b14a0b00c1e1'
down_revision = 'a81c928fb47b'
branch_labels = None
depends_on = None

HALL_COLUMNS = [
    sa.Column('online', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('online_opens', sa.Integer(), server_default='480', nullable=False),
    sa.Column('online_closes', sa.Integer(), server_default='1320', nullable=False),
    sa.Column('slot_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.Column('days_ahead', sa.Integer(), server_default='14', nullable=False),
    sa.Column('needs_approval', sa.Boolean(), server_default=sa.false(), nullable=False),
]
BOOKING_COLUMNS = [
    sa.Column('status', sa.String(length=12), server_default='confirmed', nullable=False),
    sa.Column('cancel_token_hash', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('series_id', sa.String(length=36), nullable=True),
]


def upgrade():
    for column in HALL_COLUMNS:
        op.add_column('hall', column)
    for column in BOOKING_COLUMNS:
        op.add_column('booking', column)
    op.create_index('ix_booking_cancel_token_hash', 'booking', ['cancel_token_hash'], unique=True)
    op.create_index('ix_booking_series_id', 'booking', ['series_id'], unique=False)


def downgrade():
    op.drop_index('ix_booking_series_id', table_name='booking')
    op.drop_index('ix_booking_cancel_token_hash', table_name='booking')
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL alter in place): no rebuild of the
    # tables, so no foreign key is touched.
    for column in reversed(BOOKING_COLUMNS):
        op.drop_column('booking', column.name)
    for column in reversed(HALL_COLUMNS):
        op.drop_column('hall', column.name)
