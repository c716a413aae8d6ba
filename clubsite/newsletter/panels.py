"""The newsletter's panels on the back-office home page: audience counts and campaigns being
sent (marketing), and members whose address a mail server refused (staff who correct it)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.extensions import db
from clubsite.newsletter import undeliverable
from clubsite.newsletter.counts import audience_summary
from clubsite.newsletter.models import Newsletter
from clubsite.privacy.access import read_names
from clubsite.web.forms import EmptyForm
from clubsite.web.panels import home_panel


@home_panel("newsletter", _l("Newsletter"), "newsletter/_panel.html", order=40)
def newsletter_panel(user):
    """Audience sizes, the newsletters being sent now and those scheduled."""
    summary = audience_summary(True)
    active = db.session.scalars(
        select(Newsletter)
        .where(Newsletter.status.in_(("scheduled", "sending", "paused")))
        .order_by(Newsletter.scheduled_at, Newsletter.queued_at)
    ).all()
    return {"summary": summary, "active": active}


@home_panel(
    "members.edit",
    _l("Addresses that do not receive mail"),
    "newsletter/_undeliverable_panel.html",
    order=35,
)
def undeliverable_panel(user):
    """Members (names only) whose address was refused for good, for staff who may correct it."""
    members, total = undeliverable.members_to_correct(user)
    if not total:
        return None
    return {"members": read_names(user, members), "total": total, "form": EmptyForm()}
