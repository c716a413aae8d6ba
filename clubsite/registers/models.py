"""Register entries. They hold what the club must prove it did; free text is encrypted."""

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db

REQUEST_KINDS = ("access", "rectification", "erasure", "restriction", "objection", "portability")
REQUEST_STATUSES = ("open", "in_progress", "done", "refused")


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
    closed_at = db.Column(db.DateTime(timezone=True))
    version = db.Column(db.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


def _register_encryption():
    from clubsite.privacy.keys import register_encrypted

    register_encrypted(
        SubjectRequest, "subject_request", {"details_enc": "details", "outcome_enc": "outcome"}
    )


_register_encryption()
