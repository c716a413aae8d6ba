"""sites: opening hours, hall names unique per site, staff sites

Every hall now belongs to a site, and its name is unique within its site (two sites may each
have a "Lielā zāle"). Halls without a site go to the club's only open site; where there is none
or several, to a new open site "Galvenā filiāle" that the admin can rename. Staff are assigned
to any number of sites (staff_location): a staff member's home site, if set, becomes their one
assigned site before the old column goes. The downgrade keeps one site per staff member (the
first by id) and gives halls their site back as optional.

On SQLite, batch mode rebuilds the hall and staff_user tables with foreign keys off (see
_rebuild_without_foreign_keys): with them on, dropping the old table would delete every
session, setup link, upload and export of the staff (ON DELETE CASCADE) and be refused for
halls with bookings (RESTRICT).

Revision ID: 28ac9974bca8
Revises: 0c7a2098ecdd
Create Date: 2026-12-01 12:45:59.134605

"""
import uuid
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '28ac9974bca8'
down_revision = '0c7a2098ecdd'
branch_labels = None
depends_on = None

MAIN_SITE = "Galvenā filiāle"
_FOREIGN_KEYS_OFF = "clubsite.migration_foreign_keys_off"

LOCATION = sa.table(
    "location",
    sa.column("id", sa.Integer),
    sa.column("public_id", sa.String),
    sa.column("name", sa.String),
    sa.column("address", sa.String),
    sa.column("active", sa.Boolean),
)
HALL = sa.table(
    "hall",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("location_id", sa.Integer),
)
STAFF = sa.table("staff_user", sa.column("id", sa.Integer), sa.column("location_id", sa.Integer))
STAFF_LOCATION = sa.table(
    "staff_location", sa.column("staff_id", sa.Integer), sa.column("location_id", sa.Integer)
)


def _foreign_keys_on(dbapi_connection, record):
    """Pool check-in: switch SQLite's foreign keys on again on the migration's connection."""
    if record is not None and record.info.pop(_FOREIGN_KEYS_OFF, False):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")


@contextmanager
def _rebuild_without_foreign_keys():
    """On SQLite, run the block with foreign keys off, and check every key before commit.

    SQLite switches foreign keys only outside a transaction: the migration's transaction (with
    nothing written yet) is committed, the keys go off, the block runs in a new transaction
    that Alembic commits with the new version, and the keys go on again when the connection
    returns to the pool. PostgreSQL alters tables in place and needs none of this.
    """
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


def _site_for_halls_without_one(conn):
    """The open site halls without a site go to: the only one, else a new "Galvenā filiāle"."""
    open_ids = conn.scalars(sa.select(LOCATION.c.id).where(LOCATION.c.active.is_(True))).all()
    if len(open_ids) == 1:
        return open_ids[0]
    taken = {name.lower() for name in conn.scalars(sa.select(LOCATION.c.name))}
    name, number = MAIN_SITE, 2
    while name.lower() in taken:
        name, number = f"{MAIN_SITE} {number}", number + 1
    conn.execute(
        LOCATION.insert().values(
            public_id=str(uuid.uuid4()), name=name, address="", active=True
        )
    )
    return conn.scalar(sa.select(LOCATION.c.id).where(LOCATION.c.name == name))


def _give_every_hall_a_site(conn):
    """Halls without a site get one, renamed "<name> (2)" if the site has that name already."""
    orphans = conn.execute(
        sa.select(HALL.c.id, HALL.c.name).where(HALL.c.location_id.is_(None)).order_by(HALL.c.id)
    ).all()
    if not orphans:
        return
    site = _site_for_halls_without_one(conn)
    taken = {
        name.lower()
        for name in conn.scalars(sa.select(HALL.c.name).where(HALL.c.location_id == site))
    }
    for hall_id, name in orphans:
        new_name, number = name, 2
        while new_name.lower() in taken:
            new_name, number = f"{name[:74]} ({number})", number + 1
        taken.add(new_name.lower())
        conn.execute(
            HALL.update().where(HALL.c.id == hall_id).values(location_id=site, name=new_name)
        )


def upgrade():
    conn = op.get_bind()
    with _rebuild_without_foreign_keys():
        with op.batch_alter_table('location', schema=None) as batch_op:
            batch_op.add_column(sa.Column('opening_hours', sa.String(length=200), server_default='', nullable=False))

        _give_every_hall_a_site(conn)
        with op.batch_alter_table('hall', schema=None) as batch_op:
            batch_op.alter_column('location_id',
                   existing_type=sa.INTEGER(),
                   nullable=False)
            batch_op.create_unique_constraint('uq_hall_location_id_name', ['location_id', 'name'])

        op.create_table('staff_location',
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_staff_location_location_id_location'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_user.id'], name=op.f('fk_staff_location_staff_id_staff_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_id', 'location_id', name=op.f('pk_staff_location'))
        )
        with op.batch_alter_table('staff_location', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_staff_location_location_id'), ['location_id'], unique=False)
        conn.execute(
            STAFF_LOCATION.insert().from_select(
                ["staff_id", "location_id"],
                sa.select(STAFF.c.id, STAFF.c.location_id).where(STAFF.c.location_id.is_not(None)),
            )
        )

        with op.batch_alter_table('staff_user', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_staff_user_location_id_location'), type_='foreignkey')
            batch_op.drop_column('location_id')


def downgrade():
    conn = op.get_bind()
    with _rebuild_without_foreign_keys():
        with op.batch_alter_table('staff_user', schema=None) as batch_op:
            batch_op.add_column(sa.Column('location_id', sa.INTEGER(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_staff_user_location_id_location'), 'location', ['location_id'], ['id'])
        first_site = (
            sa.select(sa.func.min(STAFF_LOCATION.c.location_id))
            .where(STAFF_LOCATION.c.staff_id == STAFF.c.id)
            .scalar_subquery()
        )
        conn.execute(STAFF.update().values(location_id=first_site))

        with op.batch_alter_table('staff_location', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_staff_location_location_id'))
        op.drop_table('staff_location')

        with op.batch_alter_table('hall', schema=None) as batch_op:
            batch_op.drop_constraint('uq_hall_location_id_name', type_='unique')
            batch_op.alter_column('location_id',
                   existing_type=sa.INTEGER(),
                   nullable=True)

        with op.batch_alter_table('location', schema=None) as batch_op:
            batch_op.drop_column('opening_hours')
