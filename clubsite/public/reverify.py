"""Accuracy (GDPR Art. 5(1)(d)): once a year, ask members to confirm or correct their details."""

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.jobs import DailyAt, job
from clubsite.privacy import audit
from clubsite.privacy.models import Member
from clubsite.public import mails

DEFAULT_LIMIT = 500
COMMIT_EVERY = 50


def due_members(now, limit):
    """Members with an email whose details were confirmed, or last asked about, too long ago."""
    cutoff = now - timedelta(days=current_app.config["REVERIFY_AFTER_DAYS"])
    query = (
        select(Member)
        .where(
            Member.email_enc.is_not(None),
            or_(Member.last_verified_at.is_(None), Member.last_verified_at <= cutoff),
            or_(Member.reverify_sent_at.is_(None), Member.reverify_sent_at <= cutoff),
        )
        .order_by(Member.id)
        .limit(limit)
    )
    return db.session.scalars(query).all()


def send_reverification_mails(now=None, limit=DEFAULT_LIMIT):
    """Queue the yearly "are your details right?" mail for members due; returns how many.

    Each mail goes into the outbox in the same transaction as the member's reverify_sent_at
    and its audit event, so a member is asked once a year whatever the mail server does: the
    outbox retries, and a refusal shows as a failed mail on the admin home.
    """
    now = now or utcnow()
    queued = 0
    base = current_app.config["BASE_URL"]
    with current_app.test_request_context("/", base_url=base):  # for url_for in the mail
        for number, member in enumerate(due_members(now, limit), start=1):
            queued += mails.queue_reverify_mail(member)
            member.reverify_sent_at = now
            audit.record(
                "member.reverify_sent", subject=member.public_id, detail="queued",
                actor=Actor.system(),
            )  # fmt: skip
            if number % COMMIT_EVERY == 0:
                db.session.commit()  # short write transactions: the site writes meanwhile
        db.session.commit()
    return queued


@job("reverify", DailyAt(10, "REVERIFY_HOUR"), _l("Re-verification mails"))
def reverify_job(now):
    """The job runner's daily batch of re-verification mails (at REVERIFY_HOUR, Europe/Riga)."""
    return {"queued": send_reverification_mails(now)}
