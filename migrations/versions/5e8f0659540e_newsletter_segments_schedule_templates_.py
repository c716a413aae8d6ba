"""newsletter segments, schedule, templates, undeliverable

A campaign gets its segment (site, plan, language; NULL: any), the moment a scheduled one goes
out, and the copy of the club's header and footer it went out with. The header and footer
(newsletter_frame, one row) and the marks of addresses a mail server refused for good
(undeliverable_address, keyed by the address's blind index) are new tables.

On SQLite, batch mode rebuilds the newsletter table with foreign keys off (see
_rebuild_without_foreign_keys): with them on, dropping the old table would delete every
delivery of every campaign (ON DELETE CASCADE).

Revision ID: 5e8f0659540e
Revises: 28ac9974bca8
Create Date: 2026-12-01 13:35:07.173952

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8f0659540e'
down_revision = '28ac9974bca8'
branch_labels = None
depends_on = None

_FOREIGN_KEYS_OFF = "clubsite.migration_foreign_keys_off"


def _foreign_keys_on(dbapi_connection, record):
    """Pool check-in: switch SQLite's foreign keys on again on the migration's connection."""
    if record is not None and record.info.pop(_FOREIGN_KEYS_OFF, False):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")


@contextmanager
def _rebuild_without_foreign_keys():
    """On SQLite, run the block with foreign keys off, and check every key before commit
    (as in 28ac9974bca8: SQLite switches foreign keys only outside a transaction)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    bind.connection.info[_FOREIGN_KEYS_OFF] = True
    if not sa.event.contains(bind.engine.pool, "checkin", _foreign_keys_on):
        sa.event.listen(bind.engine.pool, "checkin", _foreign_keys_on)
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


def upgrade():
    with _rebuild_without_foreign_keys():
        op.create_table('newsletter_frame',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('header_lv', sa.Text(), nullable=False),
        sa.Column('header_en', sa.Text(), nullable=False),
        sa.Column('footer_lv', sa.Text(), nullable=False),
        sa.Column('footer_en', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_newsletter_frame_updated_by_id_staff_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_frame'))
        )
        op.create_table('undeliverable_address',
        sa.Column('address_bidx', sa.LargeBinary(length=16), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('newsletter_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_undeliverable_address_member_id_member'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['newsletter_id'], ['newsletter.id'], name=op.f('fk_undeliverable_address_newsletter_id_newsletter'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('address_bidx', name=op.f('pk_undeliverable_address'))
        )
        with op.batch_alter_table('undeliverable_address', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_undeliverable_address_member_id'), ['member_id'], unique=False)

        with op.batch_alter_table('newsletter', schema=None) as batch_op:
            batch_op.add_column(sa.Column('segment_location_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('segment_plan_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('segment_language', sa.String(length=2), nullable=True))
            batch_op.add_column(sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('frame', sa.Text(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_newsletter_segment_plan_id_plan'), 'plan', ['segment_plan_id'], ['id'])
            batch_op.create_foreign_key(batch_op.f('fk_newsletter_segment_location_id_location'), 'location', ['segment_location_id'], ['id'])


def downgrade():
    with _rebuild_without_foreign_keys():
        with op.batch_alter_table('newsletter', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_newsletter_segment_location_id_location'), type_='foreignkey')
            batch_op.drop_constraint(batch_op.f('fk_newsletter_segment_plan_id_plan'), type_='foreignkey')
            batch_op.drop_column('frame')
            batch_op.drop_column('scheduled_at')
            batch_op.drop_column('segment_language')
            batch_op.drop_column('segment_plan_id')
            batch_op.drop_column('segment_location_id')

        with op.batch_alter_table('undeliverable_address', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_undeliverable_address_member_id'))

        op.drop_table('undeliverable_address')
        op.drop_table('newsletter_frame')
