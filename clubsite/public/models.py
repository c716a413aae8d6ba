"""Single-use links: the hashes of link ids already redeemed (no personal data)."""

from clubsite.database import utcnow
from clubsite.extensions import db


class UsedToken(db.Model):
    """A redeemed link id, hashed; a link whose id is here never works again."""

    token_hash = db.Column(db.String(64), primary_key=True)
    used_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
