"""A mail waiting to be sent, written in the same transaction as the action that causes it.

The recipient and the rendered message (its MIME bytes) are encrypted, bound to the row, and
kept only until the message is final: once sent (or refused for good) both are deleted, and what
remains is the kind, the times, the attempts and an error code, until that is purged as well.
A message to a member goes with the member: erasing them deletes what still waits (CASCADE).
"""

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db

TABLE = "outbox_message"
STATUSES = ("queued", "sending", "sent", "failed")
OPEN_STATUSES = ("queued", "sending")


class OutboxMessage(db.Model):
    """One outgoing mail: queued, being sent (leased), sent, or failed for good."""

    __tablename__ = TABLE

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    kind = db.Column(db.String(40), nullable=False)  # the template: signup_confirm, invoice ...
    member_id = db.Column(db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), index=True)
    recipient_enc = db.Column(db.LargeBinary)  # the envelope address; None once final
    body_enc = db.Column(db.LargeBinary)  # the MIME bytes; None once final
    status = db.Column(db.String(12), nullable=False, default="queued")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    next_attempt_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # A mail whose link stops working (a 30-minute "My data" link) is not sent after that.
    expires_at = db.Column(db.DateTime(timezone=True))
    lease_owner = db.Column(db.String(64))
    lease_until = db.Column(db.DateTime(timezone=True))
    last_error = db.Column(db.String(40))  # a code such as smtp_451, never a server's text
    finished_at = db.Column(db.DateTime(timezone=True))  # sent, or failed for good

    # Serves the claim (open rows by due time) and the counts on the admin home.
    __table_args__ = (db.Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)


def _register_encryption():
    from clubsite.privacy.keys import register_encrypted

    register_encrypted(OutboxMessage, TABLE, {"recipient_enc": "recipient", "body_enc": "body"})


_register_encryption()
