"""Register entries. They hold what the club must prove it did; free text is encrypted."""

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.privacy.keys import register_encrypted

REQUEST_KINDS = ("access", "rectification", "erasure", "restriction", "objection", "portability")
REQUEST_STATUSES = ("open", "in_progress", "done", "refused")
REQUEST_SOURCES = ("self-service", "desk", "email", "letter", "phone")
# Why an erasure request may be refused: the grounds of GDPR Art. 17(3), and that the club holds
# nothing about the person (ids; the labels are in the back office).
ERASURE_REFUSAL_GROUNDS = (
    "expression",  # 17(3)(a) freedom of expression and information
    "legal_obligation",  # 17(3)(b) a legal obligation (accounting law keeps invoices)
    "public_health",  # 17(3)(c)
    "archiving",  # 17(3)(d) archiving in the public interest, research, statistics
    "legal_claims",  # 17(3)(e) establishing, exercising or defending legal claims
    "no_data",  # nothing to erase: the club holds no data about the person
)
MAX_EXTENSION_MONTHS = 2  # Art. 12(3): by two further months where necessary
BREACH_RISKS = ("low", "medium", "high")
BREACH_STATUSES = ("open", "contained", "closed")
# What kinds of data a breach touched (ids; the labels are in the back office).
BREACH_CATEGORIES = (
    "names",
    "contact",
    "personal_code",
    "bank",
    "card_number",
    "invoices",
    "checkins",
    "bookings",
    "consents",
    "staff_accounts",
)
COMPLAINT_CHANNELS = ("desk", "email", "letter", "phone", "authority")
COMPLAINT_STATUSES = ("open", "in_progress", "resolved", "rejected")


class SubjectRequest(db.Model):
    """A data subject's request; due one month after receipt."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    kind = db.Column(db.String(16), nullable=False)
    member_public_id = db.Column(db.String(36), index=True)  # kept after erasure: no personal data
    received_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    due_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    status = db.Column(db.String(12), nullable=False, default="open")
    source = db.Column(db.String(16), nullable=False)  # self-service, desk, email, letter
    details_enc = db.Column(db.LargeBinary)  # what was asked, encrypted
    outcome_enc = db.Column(db.LargeBinary)  # what was done, encrypted
    refusal_ground = db.Column(db.String(20))  # an erasure refused: one of ERASURE_REFUSAL_GROUNDS
    # Art. 12(3): the deadline moved by this many further months, for the reason given.
    extended_months = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    extension_reason_enc = db.Column(db.LargeBinary)  # encrypted
    extended_at = db.Column(db.DateTime(timezone=True))
    closed_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class Breach(db.Model):
    """A personal data breach; the authority must be told within 72 hours of its detection."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    detected_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    recorded_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    description_enc = db.Column(db.LargeBinary)  # what happened, encrypted
    categories = db.Column(db.String(200), nullable=False, default="")  # comma-separated ids
    people_count = db.Column(db.Integer)  # approximate number of people concerned
    risk = db.Column(db.String(8), nullable=False, default="medium")
    authority_notified_at = db.Column(db.DateTime(timezone=True))
    people_informed = db.Column(db.Boolean, nullable=False, default=False)
    people_informed_at = db.Column(db.DateTime(timezone=True))
    measures_enc = db.Column(db.LargeBinary)  # measures taken, encrypted
    status = db.Column(db.String(12), nullable=False, default="open")
    closed_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def category_list(self):
        """The data categories concerned, as ids."""
        return [c for c in self.categories.split(",") if c]


class Complaint(db.Model):
    """A complaint about how the club handles personal data."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    received_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    channel = db.Column(db.String(12), nullable=False)
    member_public_id = db.Column(db.String(36), index=True)  # optional; no personal data
    summary_enc = db.Column(db.LargeBinary)  # what the complaint says, encrypted
    status = db.Column(db.String(12), nullable=False, default="open")
    outcome_enc = db.Column(db.LargeBinary)  # what the club answered or did, encrypted
    closed_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


register_encrypted(
    SubjectRequest,
    "subject_request",
    {
        "details_enc": "details",
        "outcome_enc": "outcome",
        "extension_reason_enc": "extension_reason",
    },
)
register_encrypted(Breach, "breach", {"description_enc": "description", "measures_enc": "measures"})
register_encrypted(Complaint, "complaint", {"summary_enc": "summary", "outcome_enc": "outcome"})
