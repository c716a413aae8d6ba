"""Members and what the club holds about them: encrypted fields, purposes, consents, erasures."""

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.privacy.keys import register_encrypted
from clubsite.privacy.purposes import FIELDS

# Blind-index column per exact-lookup field (see clubsite.privacy.normalize).
INDEXED_FIELDS = ("email", "phone", "personal_code", "card_number")


class Member(db.Model):
    """One person the club serves, across all locations. Personal fields are ciphertext."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    location_id = db.Column(db.Integer, db.ForeignKey("location.id"), index=True)
    language = db.Column(db.String(2), nullable=False, default="lv")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # Indexed for the member list's "last change" order.
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    last_verified_at = db.Column(db.DateTime(timezone=True))
    reverify_sent_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    first_name_enc = db.Column(db.LargeBinary)
    last_name_enc = db.Column(db.LargeBinary)
    email_enc = db.Column(db.LargeBinary)
    phone_enc = db.Column(db.LargeBinary)
    postal_address_enc = db.Column(db.LargeBinary)
    personal_code_enc = db.Column(db.LargeBinary)
    iban_enc = db.Column(db.LargeBinary)
    card_number_enc = db.Column(db.LargeBinary)

    email_bidx = db.Column(db.LargeBinary(16), unique=True)
    phone_bidx = db.Column(db.LargeBinary(16), index=True)
    personal_code_bidx = db.Column(db.LargeBinary(16), unique=True)
    card_number_bidx = db.Column(db.LargeBinary(16), unique=True)
    # The address's hash on the suppression list (consent.address_hash), kept with the address:
    # a newsletter's audience checks the list without decrypting every address.
    email_suppression_hash = db.Column(db.LargeBinary(16))

    purposes = db.relationship(
        "MemberPurpose", back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    def has_field(self, name):
        """True if a value is stored for the field (without decrypting it)."""
        return getattr(self, f"{name}_enc") is not None

    def purpose(self, purpose_id):
        """The member's enrolment in a purpose, or None."""
        return next((p for p in self.purposes if p.purpose == purpose_id), None)


assert all(hasattr(Member, f"{name}_enc") for name in FIELDS), "a registry field has no column"


class MemberNameToken(db.Model):
    """Keyed hashes of name prefixes, so name search needs no decryption of every name."""

    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    token = db.Column(db.LargeBinary(16), primary_key=True, index=True)

    # On SQLite the primary key is the table (no rowid): deleting a member's tokens changes two
    # b-trees, not three, and the token index holds the member id (migration b11a1dx00001).
    __table_args__ = {"sqlite_with_rowid": False}


class MemberPurpose(db.Model):
    """A member's enrolment in one purpose: on which basis, from where, using which fields."""

    id = db.Column(db.Integer, primary_key=True)
    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose = db.Column(db.String(20), nullable=False)
    legal_basis = db.Column(db.String(24), nullable=False)
    source = db.Column(db.String(16), nullable=False)  # signup, staff, import, self-service
    fields = db.Column(db.String(200), nullable=False, default="")  # comma-separated field names
    # Indexed with the purpose for the reports' "joined per month" (clubsite.reports.members).
    started_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # When the purpose's activity ends (membership end, booking date); None while ongoing.
    ends_at = db.Column(db.DateTime(timezone=True))
    # After this moment the purpose's data may no longer be kept (retention erases it).
    keep_until = db.Column(db.DateTime(timezone=True), index=True)

    member = db.relationship("Member", back_populates="purposes")

    __table_args__ = (
        db.UniqueConstraint("member_id", "purpose"),
        db.Index("ix_member_purpose_purpose_started", "purpose", "started_at", "member_id"),
    )

    @property
    def field_list(self):
        """The fields given for this purpose."""
        return [f for f in self.fields.split(",") if f]


class ConsentWording(db.Model):
    """The exact text a consent was given to, stored once under its hash."""

    hash = db.Column(db.String(64), primary_key=True)
    purpose = db.Column(db.String(20), nullable=False)
    language = db.Column(db.String(2), nullable=False)
    text = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class ConsentEvent(db.Model):
    """Append-only consent ledger: given, confirmed, withdrawn, objected.

    The database refuses every UPDATE and DELETE (triggers, see the migration
    "consent ledger outlives erasure") except two: an erasure detaching a row from its member
    (member_id set to NULL and the free-text proof emptied, nothing else changed) and a merge
    moving it to the member it was merged into. A detached row keeps the keyed hash of the
    address, purpose, kind, time, source, actor form and wording hash: proof of what an
    address agreed to after its member is gone.
    """

    id = db.Column(db.Integer, primary_key=True)
    # NULL once the member is erased; no cascade: an erasure detaches the rows first.
    member_id = db.Column(db.Integer, db.ForeignKey("member.id"), index=True)
    purpose = db.Column(db.String(20), nullable=False)
    kind = db.Column(db.String(12), nullable=False)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    source = db.Column(db.String(24), nullable=False)  # signup, staff, import, self-service, ...
    actor = db.Column(db.String(48), nullable=False)  # "member", "staff:<public id>", "system"
    wording_hash = db.Column(db.String(64), db.ForeignKey("consent_wording.hash"))
    proof = db.Column(db.String(200), nullable=False, default="")  # e.g. "paper form 2026-03-01"
    # clubsite.privacy.consent.address_hash of the address the event is about (the suppression
    # list's keyed hash), written with the event; NULL only for rows older than it whose
    # member had no address left.
    address_hash = db.Column(db.LargeBinary(16), index=True)

    __table_args__ = (
        db.Index("ix_consent_event_member_purpose", "member_id", "purpose", "id"),
        # Reports: opt-ins and withdrawals per month (clubsite.reports.newsletter).
        db.Index("ix_consent_event_purpose_kind_at", "purpose", "kind", "at"),
    )


class ErasureJournal(db.Model):
    """Public ids of erased members (no personal data), replayed after a restore."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True)
    erased_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    reason = db.Column(db.String(20), nullable=False)  # request, retention, unconfirmed, merge


class Suppression(db.Model):
    """Keyed hashes of addresses that must never be mailed again; survives erasure."""

    address_hash = db.Column(db.LargeBinary(16), primary_key=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    reason = db.Column(db.String(20), nullable=False)  # withdrawn, objected, bounced, complaint


register_encrypted(Member, "member", {f"{name}_enc": name for name in FIELDS})
