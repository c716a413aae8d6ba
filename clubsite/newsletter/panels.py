"""The newsletter's panel on the back-office home page (counts only)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.newsletter.counts import audience_summary
from clubsite.newsletter.models import Newsletter
from clubsite.web.panels import home_panel


@home_panel("newsletter", _l("Newsletter"), "newsletter/_panel.html", order=40)
def newsletter_panel(user):
    """Audience sizes and the newsletters being sent now."""
    summary = audience_summary(True)
    active = db.session.scalars(
        select(Newsletter)
        .where(Newsletter.status.in_(("sending", "paused")))
        .order_by(Newsletter.queued_at)
    ).all()
    return {"summary": summary, "active": active}
