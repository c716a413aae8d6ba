"""Staff accounts, their server-side sessions, login throttling and one-time setup links."""

from flask import current_app
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy.crypto import CryptoError, decrypt_field, encrypt_field
from clubsite.privacy.keys import register_encrypted
from clubsite.privacy.roles import ROLES, role_allows

TABLE = "staff_user"

# Which sites a staff member works at (any number; none: not tied to a site). Their pages show
# their sites by default (clubsite.staff.sites).
staff_location = db.Table(
    "staff_location",
    db.Column(
        "staff_id",
        db.Integer,
        db.ForeignKey("staff_user.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    db.Column(
        "location_id",
        db.Integer,
        db.ForeignKey("location.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class StaffUser(UserMixin, db.Model):
    """A member of staff who logs in to the back office."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name_enc = db.Column(db.LargeBinary, nullable=False)  # the name, encrypted like member fields
    password_hash = db.Column(db.String(200))
    roles = db.Column(db.String(100), nullable=False, default="staff")  # comma-separated role ids
    active = db.Column(db.Boolean, nullable=False, default=True)
    language = db.Column(db.String(2), nullable=False, default="lv")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    password_changed_at = db.Column(db.DateTime(timezone=True))
    policy_version = db.Column(db.String(20))  # version of the policy last acknowledged
    policy_acknowledged_at = db.Column(db.DateTime(timezone=True))
    training_passed_at = db.Column(db.DateTime(timezone=True))
    totp_secret = db.Column(db.LargeBinary)  # encrypted; None until two-factor is set up
    totp_last_step = db.Column(db.Integer)  # the last accepted TOTP time step: each code works once
    version = db.Column(db.Integer, nullable=False, default=1)

    sites = db.relationship(Location, secondary=staff_location, order_by=Location.name)

    __mapper_args__ = {"version_id_col": version}

    @hybrid_property
    def name(self):
        """The staff member's name, decrypted; '' if its ciphertext is damaged."""
        if self.name_enc is None:
            return ""
        try:
            return decrypt_field(
                current_app.config["KEY_RING"],
                self.name_enc,
                table=TABLE,
                column="name",
                row_id=self.public_id,
            )
        except CryptoError:
            return ""

    @name.inplace.setter
    def _name_setter(self, value):
        if self.public_id is None:  # the ciphertext is bound to the row's public id
            self.public_id = new_public_id()
        self.name_enc = encrypt_field(
            current_app.config["KEY_RING"], value, table=TABLE, column="name", row_id=self.public_id
        )

    @name.inplace.expression
    @classmethod
    def _name_expression(cls):
        # A ciphertext does not sort: lists "by name" sort by the login address instead.
        return cls.email

    @property
    def role_list(self):
        """The staff member's roles as a list of known role ids."""
        return [r for r in (self.roles or "").split(",") if r in ROLES]

    def can(self, permission):
        """True if any of the staff member's roles grants the permission."""
        return self.active and any(role_allows(role, permission) for role in self.role_list)

    def has_role(self, role):
        """True if the staff member holds the role."""
        return role in self.role_list

    @property
    def is_active(self):  # Flask-Login asks this
        return bool(self.active)

    def get_id(self):
        """Flask-Login's handle: the public id, never the row id."""
        return self.public_id


class StaffSession(db.Model):
    """A logged-in session, held on the server so logout and deactivation end it everywhere."""

    token_hash = db.Column(db.String(64), primary_key=True)
    staff_id = db.Column(db.Integer, db.ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    second_factor_done = db.Column(db.Boolean, nullable=False, default=False)


class LoginThrottle(db.Model):
    """Failed logins per login name (keyed hash), for known and unknown names alike."""

    key_hash = db.Column(db.String(64), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    locked_until = db.Column(db.DateTime(timezone=True))
    last_failure_at = db.Column(db.DateTime(timezone=True))


class SetupToken(db.Model):
    """A one-time link: the first admin's setup, a staff invitation or a password reset."""

    token_hash = db.Column(db.String(64), primary_key=True)
    kind = db.Column(db.String(16), nullable=False)  # first-admin, invite
    staff_id = db.Column(db.Integer, db.ForeignKey("staff_user.id", ondelete="CASCADE"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False)
    used_at = db.Column(db.DateTime(timezone=True))


class RecoveryCode(db.Model):
    """A one-time code for the login's second step without the phone (clubsite.staff.recovery).

    Only a keyed hash of the code is kept; a used code keeps its row, with when it was used.
    """

    id = db.Column(db.Integer, primary_key=True)
    staff_id = db.Column(
        db.Integer, db.ForeignKey("staff_user.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    used_at = db.Column(db.DateTime(timezone=True))


class RoleSetting(db.Model):
    """Per-role security settings chosen by an admin (a missing row means the defaults)."""

    role = db.Column(db.String(16), primary_key=True)
    two_factor_required = db.Column(db.Boolean, nullable=False, default=False)


register_encrypted(StaffUser, TABLE, {"totp_secret": "totp_secret", "name_enc": "name"})
