"""The public side's own tables: redeemed link ids, link generations and "My data" sessions.

None of them holds personal data: hashes of random ids, counters and times, tied to a member
row that takes them with it when it is erased (ON DELETE CASCADE).
"""

from clubsite.database import utcnow
from clubsite.extensions import db


class UsedToken(db.Model):
    """A redeemed link id, hashed; a link whose id is here never works again."""

    token_hash = db.Column(db.String(64), primary_key=True)
    used_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class LinkGeneration(db.Model):
    """How often every link mailed to a member was revoked at once (an address change).

    Each link carries the generation it was issued in and works only while that is still the
    member's generation; no row means generation 0.
    """

    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    generation = db.Column(db.Integer, nullable=False, default=0)
    changed_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class MemberSession(db.Model):
    """An open "My data" session, held on the server so closing it ends it everywhere.

    The browser's cookie holds a random token; only its SHA-256 is stored here.
    """

    token_hash = db.Column(db.String(64), primary_key=True)
    member_id = db.Column(
        db.Integer, db.ForeignKey("member.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    last_seen_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
