"""The check-in log in privacy: kept as long as the access purpose says (30 days), gone with the
member, part of their export; and reception's home panel of recent check-ins."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from clubsite.access.models import CheckIn
from clubsite.access.service import recent_check_ins
from clubsite.database import as_utc
from clubsite.extensions import db
from clubsite.privacy.purposes import PURPOSES
from clubsite.privacy.retention import erasure_hook, retention_task
from clubsite.privacy.subject_access import subject_access_section
from clubsite.staff.sites import current_view
from clubsite.web.panels import home_panel


def keep_days():
    """Days a check-in log entry is kept (the access purpose's registry: 30)."""
    return PURPOSES["access"].retention.record_days


@retention_task("checkins")
def prune_check_ins(now, dry_run):
    """Delete check-in log entries older than the access purpose keeps them."""
    cutoff = now - timedelta(days=keep_days())
    count = db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.at < cutoff))
    if count and not dry_run:
        db.session.execute(
            delete(CheckIn).where(CheckIn.at < cutoff).execution_options(synchronize_session=False)
        )
    return count


@erasure_hook
def delete_check_ins(member_ids):
    """Erased members' visits go with them (the foreign key cascades too)."""
    db.session.execute(
        delete(CheckIn)
        .where(CheckIn.member_id.in_(member_ids))
        .execution_options(synchronize_session=False)
    )


@subject_access_section("check_ins")
def check_ins_section(member):
    """The member's check-ins the club still keeps."""
    entries = db.session.scalars(
        select(CheckIn).where(CheckIn.member_id == member.id).order_by(CheckIn.at)
    )
    return [
        {"at": as_utc(e.at).isoformat(), "allowed": e.allowed, "reason": e.reason} for e in entries
    ]


@home_panel("checkin", _l("Recent check-ins"), "backoffice/panels/checkin_recent.html", order=10)
def recent_panel(user):
    """The last check-ins at the staff member's sites: times, and first names if allowed."""
    return {"entries": recent_check_ins(user, location_ids=current_view(user).ids)}
