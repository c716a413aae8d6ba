"""Newsletters (campaigns) and their deliveries: one row per recipient, drained by the sender;
the club's header and footer (NewsletterFrame) and the addresses mail cannot reach.

A delivery holds no address. The sender reads the member's current newsletter address at send
time, so there is no second copy of anyone's address to encrypt, rotate or forget, a corrected
address is used as corrected, and an erased member (member_id set to NULL by the database) can
never be mailed: the sender cancels such a delivery instead.
"""

import base64
import secrets

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db

LANGUAGES = ("lv", "en")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "paused", "sent", "cancelled")
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "cancelled")
# Deliveries that may still go out; the rest are final.
OPEN_DELIVERY_STATUSES = ("queued", "sending")


def new_delivery_id():
    """A short random public id for a delivery (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def new_delivery_ids(count):
    """`count` ids made as new_delivery_id() makes one, from one read of the random source (a
    campaign of tens of thousands): every 12 random bytes are exactly 16 URL-safe characters."""
    text = base64.urlsafe_b64encode(secrets.token_bytes(12 * count)).decode("ascii")
    return [text[start : start + 16] for start in range(0, 16 * count, 16)]


class Newsletter(db.Model):
    """One campaign: subject and Markdown body per language, audience rule and status."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(36), nullable=False, unique=True, default=new_public_id)
    subject_lv = db.Column(db.String(150), nullable=False, default="")
    body_lv = db.Column(db.Text, nullable=False, default="")
    subject_en = db.Column(db.String(150), nullable=False, default="")
    body_en = db.Column(db.Text, nullable=False, default="")
    # Soft opt-in: also current members enrolled on legitimate interest who have not objected.
    about_existing_services = db.Column(db.Boolean, nullable=False, default=False)
    status = db.Column(db.String(12), nullable=False, default="draft", index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    queued_at = db.Column(db.DateTime(timezone=True))
    finished_at = db.Column(db.DateTime(timezone=True))
    recipients_count = db.Column(db.Integer, nullable=False, default=0)
    # The audience breakdown when Send was pressed, as JSON: reason -> count (no one's data).
    audience_counts = db.Column(db.Text, nullable=False, default="{}")
    # The segment (clubsite.newsletter.segments): each set column narrows the lawful audience;
    # NULL means "any". No ON DELETE: a site or plan that vanished must not widen a segment.
    segment_location_id = db.Column(db.Integer, db.ForeignKey("location.id"))
    segment_plan_id = db.Column(db.Integer, db.ForeignKey("plan.id"))
    segment_language = db.Column(db.String(2))
    # When a scheduled campaign goes out (status "scheduled"); the audience is frozen then.
    scheduled_at = db.Column(db.DateTime(timezone=True))
    # The club's header and footer as they were when it went out (JSON); NULL: use today's.
    frame = db.Column(db.Text)

    created_by = db.relationship("StaffUser")

    def subject(self, language):
        """The subject in a language ('' when that version is not written)."""
        return getattr(self, f"subject_{language}")

    def body(self, language):
        """The Markdown body in a language."""
        return getattr(self, f"body_{language}")

    @property
    def languages(self):
        """The languages this newsletter is written in (subject and body both present)."""
        return [lang for lang in LANGUAGES if self.subject(lang) and self.body(lang).strip()]

    @property
    def title(self):
        """A subject for lists: the Latvian one, else the English one."""
        return self.subject_lv or self.subject_en


class Delivery(db.Model):
    """One recipient of one campaign: the unit the sender claims, sends and records."""

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(24), nullable=False, unique=True, default=new_delivery_id)
    newsletter_id = db.Column(
        db.Integer, db.ForeignKey("newsletter.id", ondelete="CASCADE"), nullable=False
    )
    # NULL once the member is erased: the delivery then can never be sent.
    member_id = db.Column(db.Integer, db.ForeignKey("member.id", ondelete="SET NULL"), index=True)
    language = db.Column(db.String(2), nullable=False)
    basis = db.Column(db.String(12), nullable=False)  # consent or soft_opt_in
    status = db.Column(db.String(12), nullable=False, default="queued")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    lease_owner = db.Column(db.String(64))
    lease_until = db.Column(db.DateTime(timezone=True))
    last_error = db.Column(db.String(40))  # a code such as smtp_451, never a server's text
    sent_at = db.Column(db.DateTime(timezone=True))
    unsubscribed_at = db.Column(db.DateTime(timezone=True))

    # One index serves the claim (open rows of sending campaigns) and the statistics; each
    # sent message updates it, so there is deliberately no second index on status.
    __table_args__ = (db.Index("ix_delivery_newsletter_status", "newsletter_id", "status"),)


class NewsletterFrame(db.Model):
    """The club's header and footer (Markdown per language), set once and put around every
    campaign. One row (id 1); a campaign keeps a copy of it from the moment it goes out."""

    id = db.Column(db.Integer, primary_key=True)
    header_lv = db.Column(db.Text, nullable=False, default="")
    header_en = db.Column(db.Text, nullable=False, default="")
    footer_lv = db.Column(db.Text, nullable=False, default="")
    footer_en = db.Column(db.Text, nullable=False, default="")
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id", ondelete="SET NULL"))


class UndeliverableAddress(db.Model):
    """A member's address that a mail server refused for good (5xx): see undeliverable.py.

    Keyed by the address's blind index (the same value as Member.email_bidx), so whether a
    member's current address is marked is a join, with nothing decrypted; a corrected address
    has another index and is not marked. The row goes with the member (CASCADE on erasure).
    """

    address_bidx = db.Column(db.LargeBinary(16), primary_key=True)
    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code = db.Column(db.String(12), nullable=False)  # smtp_550: a code, never the server's text
    marked_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    newsletter_id = db.Column(db.Integer, db.ForeignKey("newsletter.id", ondelete="SET NULL"))
