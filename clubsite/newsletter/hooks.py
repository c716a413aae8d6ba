"""What the newsletter adds to erasure and to a member's data export."""

from sqlalchemy import select, update

from clubsite.database import as_utc
from clubsite.extensions import db
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy.retention import erasure_hook
from clubsite.privacy.subject_access import subject_access_section


@erasure_hook
def cancel_deliveries(member_ids):
    """Erased members are never mailed: cancel their queued deliveries (rows lose their link)."""
    db.session.execute(
        update(Delivery)
        .where(Delivery.member_id.in_(member_ids), Delivery.status == "queued")
        .values(status="cancelled", last_error="erased")
        .execution_options(synchronize_session=False)
    )


@subject_access_section("newsletters")
def newsletters_received(member):
    """Which newsletters were sent (or are queued) to the member, and when."""
    rows = db.session.execute(
        select(Newsletter.subject_lv, Newsletter.subject_en, Delivery.status, Delivery.sent_at)
        .join(Newsletter, Newsletter.id == Delivery.newsletter_id)
        .where(Delivery.member_id == member.id)
        .order_by(Delivery.id)
    ).all()
    return [
        {
            "subject": _subject_for(member.language, subject_lv, subject_en),
            "status": status,
            "sent_at": as_utc(sent_at).isoformat() if sent_at else None,
        }
        for subject_lv, subject_en, status, sent_at in rows
    ]


def _subject_for(language, subject_lv, subject_en):
    """The subject in the member's language when written, else the other one."""
    preferred, other = (subject_lv, subject_en) if language == "lv" else (subject_en, subject_lv)
    return preferred or other
