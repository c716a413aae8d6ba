"""Home panels about members: data due for re-verification, purposes about to end."""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.jobs.status import last_success
from clubsite.privacy.models import Member, MemberPurpose
from clubsite.web.panels import home_panel

ERASURE_WINDOW_DAYS = 7


@home_panel("members.erase", _l("Members' data"), "backoffice/panels/members_due.html", order=30)
def members_due_panel(_user):
    """Counts only: members to re-verify, and purposes whose data is erased within a week."""
    now = utcnow()
    stale = now - timedelta(days=current_app.config["REVERIFY_AFTER_DAYS"])
    reverify = db.session.scalar(
        select(func.count(Member.id)).where(
            or_(Member.last_verified_at.is_(None), Member.last_verified_at < stale)
        )
    )
    ending = db.session.scalar(
        select(func.count(MemberPurpose.id)).where(
            MemberPurpose.keep_until.is_not(None),
            MemberPurpose.keep_until <= now + timedelta(days=ERASURE_WINDOW_DAYS),
        )
    )
    total = db.session.scalar(select(func.count(Member.id)))
    return {
        "reverify": reverify,
        "ending": ending,
        "total": total,
        "days": ERASURE_WINDOW_DAYS,
        "retention_ran": last_success("retention"),
    }
