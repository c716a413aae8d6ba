"""Club sites (filiāles): one database for all of them, so nobody is registered twice."""

from clubsite.database import new_public_id
from clubsite.extensions import db


class Location(db.Model):
    """A club site (filiāle). Members belong to the club as a whole; staff may have a home site."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    name = db.Column(db.String(100), nullable=False, unique=True)
    address = db.Column(db.String(200), nullable=False, default="")
    active = db.Column(db.Boolean, nullable=False, default=True)
