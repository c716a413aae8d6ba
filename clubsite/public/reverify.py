"""Accuracy (GDPR Art. 5(1)(d)): once a year, ask members to confirm or correct their details."""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from clubsite.database import utcnow
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.mail import MailError, open_transport
from clubsite.privacy import audit
from clubsite.privacy.models import Member
from clubsite.public import mails

log = logging.getLogger(__name__)


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


def send_reverification_mails(now=None, limit=500):
    """Send the yearly "are your details right?" mail to members due; returns (sent, failed).

    Each sent mail is recorded (reverify_sent_at) and committed at once, so a run that stops
    half-way never mails anyone twice. A temporary mail-server failure ends the run early.
    """
    now = now or utcnow()
    sent = failed = 0
    base = current_app.config["BASE_URL"]
    with current_app.test_request_context("/", base_url=base), open_transport() as transport:
        for member in due_members(now, limit):
            try:
                transport.send(mails.reverify_mail(member))
            except MailError as exc:
                failed += 1
                log.warning("reverification mail not sent: code %s", exc.code)
                if exc.temporary:
                    break  # the server is unwell: try the rest next run
                detail = "refused"
            else:
                sent += 1
                detail = "sent"
            # A refused address is not retried every night either; a year from now it is.
            member.reverify_sent_at = now
            audit.record(
                "member.reverify_sent",
                subject=member.public_id,
                detail=detail,
                actor=Actor.system(),
            )
            db.session.commit()
    return sent, failed
