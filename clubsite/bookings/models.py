"""Halls and their bookings. Times are stored in UTC; a visitor's contact is ciphertext."""

from sqlalchemy import false

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy.keys import register_encrypted

# created_by of a booking a visitor made on the public booking page (not a staff public id).
ONLINE = "online"
# A booking takes its hall's time from the moment it is made; "pending" waits for staff to
# approve it (a refused one is deleted, like a cancelled one).
STATUSES = ("confirmed", "pending")

# Booking columns holding personal data, by the name bound into their ciphertext.
CONTACT_COLUMNS = {
    "visitor_name_enc": "visitor_name",
    "phone_enc": "phone",
    "email_enc": "email",
}


def hall_label(name, site_name):
    """A hall named with its site, as every page names it: "Lielā zāle — Centrs"."""
    return f"{name} — {site_name}"


class Hall(db.Model):
    """A hall (zāle) of a site that can be booked. Deactivated halls keep their past bookings.

    Names are unique per site, not across the club: two sites may each have a "Lielā zāle",
    so a hall is always named with its site (`label`).
    """

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    name = db.Column(db.String(80), nullable=False)
    location_id = db.Column(db.Integer, db.ForeignKey("location.id"), nullable=False, index=True)
    capacity = db.Column(db.Integer)
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Online booking (the public page): whether visitors may book it, the daily hours offered
    # (minutes after midnight, Riga time), the slot length, how many days ahead, and whether
    # staff must approve each booking first.
    online = db.Column(db.Boolean, nullable=False, default=False, server_default=false())
    online_opens = db.Column(db.Integer, nullable=False, default=480, server_default="480")
    online_closes = db.Column(db.Integer, nullable=False, default=1320, server_default="1320")
    slot_minutes = db.Column(db.Integer, nullable=False, default=60, server_default="60")
    days_ahead = db.Column(db.Integer, nullable=False, default=14, server_default="14")
    needs_approval = db.Column(db.Boolean, nullable=False, default=False, server_default=false())

    location = db.relationship(Location, lazy="joined")

    __table_args__ = (db.UniqueConstraint("location_id", "name", name="uq_hall_location_id_name"),)

    @property
    def label(self):
        """The hall with its site (see hall_label)."""
        return hall_label(self.name, self.location.name) if self.location else self.name

    @property
    def bookable(self):
        """True if new bookings may be made: the hall is active and its site is open."""
        return bool(self.active and self.location is not None and self.location.active)


class Booking(db.Model):
    """A hall booked from starts_at to ends_at, for a member or for a visitor.

    A visitor's name and one contact (phone or email) live on the booking only, encrypted, and
    are blanked 30 days after the booking's date; the times stay as anonymous occupancy. A
    member's booking links to the member; the link goes when the member is erased or the
    booking's retention ends.
    """

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    hall_id = db.Column(
        db.Integer, db.ForeignKey("hall.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    starts_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    ends_at = db.Column(db.DateTime(timezone=True), nullable=False)
    member_id = db.Column(db.Integer, db.ForeignKey("member.id", ondelete="SET NULL"), index=True)
    created_by = db.Column(db.String(36), nullable=False)  # staff public id, or ONLINE
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # Set when retention blanked the personal data; the times remain as occupancy.
    anonymised_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)
    status = db.Column(
        db.String(12), nullable=False, default="confirmed", server_default="confirmed"
    )
    # Online bookings: the SHA-256 of the cancel link's secret (the link itself is only mailed
    # and shown once), and the visitor's language for the mails about the booking.
    cancel_token_hash = db.Column(db.String(64), unique=True, index=True)
    language = db.Column(db.String(5))
    # Staff bookings repeated weekly share one series id.
    series_id = db.Column(db.String(36), index=True)

    visitor_name_enc = db.Column(db.LargeBinary)
    phone_enc = db.Column(db.LargeBinary)
    email_enc = db.Column(db.LargeBinary)

    hall = db.relationship("Hall", lazy="joined")
    member = db.relationship("Member", lazy="select")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (db.Index("ix_booking_hall_times", "hall_id", "starts_at", "ends_at"),)

    @property
    def has_contact(self):
        """True if any personal contact datum is stored on the booking (without decrypting)."""
        return any(getattr(self, attr) is not None for attr in CONTACT_COLUMNS)

    @property
    def online(self):
        """True if a visitor made the booking on the public page."""
        return self.created_by == ONLINE

    @property
    def pending(self):
        """True while the booking waits for staff to approve it."""
        return self.status == "pending"


register_encrypted(Booking, "booking", dict(CONTACT_COLUMNS))
