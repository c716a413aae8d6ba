"""Scheduled sending: a campaign goes out at a date and time in Riga, through the job runner.

Scheduling only records the moment (status "scheduled"); nobody's data is read then. When the
moment has come, the `newsletter_schedule` job freezes the lawful audience (of the segment) as
it is AT THAT MOMENT, exactly as pressing Send does (service.go_out), and the `newsletter` job
sends it. A campaign goes out once: the job runs under its lease on the job_run row, and
go_out moves the campaign from scheduled to sending with one conditional UPDATE, so even two
runners that both looked at it at the same time freeze it only once (the second finds it gone).
A scheduled campaign can be taken back to a draft (to change it) or cancelled.
"""

import json
import logging
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.jobs import Every, job
from clubsite.newsletter import segments
from clubsite.newsletter.audience import select_audience
from clubsite.newsletter.models import Newsletter
from clubsite.newsletter.service import AlreadyGone, NewsletterError, check_sendable, go_out
from clubsite.privacy import audit

log = logging.getLogger(__name__)
MAX_AHEAD = timedelta(days=366)


def local_moment(day, time_of_day):
    """A date and a time on the club's clock (Europe/Riga) as an aware UTC datetime."""
    return datetime.combine(day, time_of_day, tzinfo=CLUB_TZ).astimezone(UTC)


def schedule(newsletter, when, *, staff, now=None):
    """Let a draft go out at `when` (an aware datetime); refused if it could not go out then."""
    now = now or utcnow()
    if newsletter.status != "draft":
        raise NewsletterError({None: _l("Only a draft can be scheduled.")})
    check_sendable(newsletter)
    if when <= now:
        raise NewsletterError({"day": _l("Choose a moment in the future.")})
    if when > now + MAX_AHEAD:
        raise NewsletterError({"day": _l("Choose a moment within the next year.")})
    newsletter.status = "scheduled"
    newsletter.scheduled_at = when
    newsletter.updated_at = now
    audit.record("newsletter.scheduled", detail=newsletter.public_id, actor=Actor.staff(staff))


def unschedule(newsletter, *, staff, now=None):
    """Take a scheduled campaign back to a draft (to change it, or to send it now)."""
    if newsletter.status != "scheduled":
        raise NewsletterError({None: _l("The newsletter is not in a state that allows this.")})
    newsletter.status = "draft"
    newsletter.scheduled_at = None
    newsletter.updated_at = now or utcnow()
    audit.record("newsletter.unscheduled", detail=newsletter.public_id, actor=Actor.staff(staff))


def due_ids(now):
    """Scheduled campaigns whose moment has come, the earliest first."""
    return db.session.scalars(
        select(Newsletter.id)
        .where(Newsletter.status == "scheduled", Newsletter.scheduled_at <= now)
        .order_by(Newsletter.scheduled_at, Newsletter.id)
    ).all()


@job(
    "newsletter_schedule",
    Every(15, "NEWSLETTER_SCHEDULE_EVERY_SECONDS"),
    _l("Starting scheduled newsletters"),
)
def start_scheduled(now):
    """Freeze the audience of every campaign whose moment has come; each in its own commit."""
    db.session.commit()
    counts = {"started": 0, "empty": 0, "recipients": 0}
    ids = due_ids(now)
    db.session.commit()
    for newsletter_id in ids:
        newsletter = db.session.get(Newsletter, newsletter_id)
        try:
            counts["recipients"] += go_out(newsletter, "scheduled", now=now, actor=Actor.system())
            db.session.commit()
            counts["started"] += 1
        except AlreadyGone:
            db.session.rollback()  # another runner froze it first
        except NewsletterError:
            db.session.rollback()
            counts["empty"] += _went_to_nobody(newsletter_id, now)
    return counts


def _went_to_nobody(newsletter_id, now):
    """A campaign no one could receive at its moment: finished, with no recipients, so its page
    says so (with the audience's counts, as for any campaign) instead of it waiting for ever.
    1 if this runner recorded it, else 0."""
    newsletter = db.session.get(Newsletter, newsletter_id)
    narrow = segments.conditions(segments.of(newsletter), now)
    summary = select_audience(newsletter, now=now, narrow=narrow).summary()
    done = db.session.execute(
        update(Newsletter)
        .where(Newsletter.id == newsletter_id, Newsletter.status == "scheduled")
        .values(
            status="sent",
            queued_at=now,
            finished_at=now,
            updated_at=now,
            recipients_count=0,
            audience_counts=json.dumps(summary),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if done.rowcount:
        log.info("newsletter: a scheduled campaign had no recipients at its time")
    return done.rowcount
