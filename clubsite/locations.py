"""Club sites (filiāles): one database for all of them, so nobody is registered twice."""

from sqlalchemy import select

from clubsite.database import new_public_id
from clubsite.extensions import db


class Location(db.Model):
    """A club site (filiāle). Members belong to the club as a whole; halls and staff to sites.

    A site is never deleted, only closed (active False): its halls' past bookings and its
    check-ins keep pointing at it, and reopening it brings everything back.
    """

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    name = db.Column(db.String(100), nullable=False, unique=True)
    address = db.Column(db.String(200), nullable=False, default="")
    # Free text for people ("P.–Pk. 7:00–22:00, S., Sv. 9:00–18:00"): what the desk says.
    opening_hours = db.Column(db.String(200), nullable=False, default="", server_default="")
    active = db.Column(db.Boolean, nullable=False, default=True)


def location_by_public_id(public_id):
    """The site with this public id (open or closed), or None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.scalar(select(Location).where(Location.public_id == public_id))


def open_locations():
    """The open sites, by name."""
    return db.session.scalars(select(Location).where(Location.active).order_by(Location.name)).all()


def all_locations():
    """Every site, open ones first, by name."""
    query = select(Location).order_by(Location.active.desc(), Location.name)
    return db.session.scalars(query).all()
