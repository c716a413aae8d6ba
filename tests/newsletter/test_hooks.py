"""What the newsletter adds to a member's data export and to erasure."""

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.members import service as members
from clubsite.newsletter.models import Delivery
from clubsite.privacy.subject_access import gather


def test_export_lists_the_newsletters_a_member_received(subscriber, queued, drain, mailbox):
    """Subject access: which newsletters went to the member, and when (no other member's data)."""
    member = subscriber(language="en")
    queued(lv=("Jaunumi", "Teksts"), en=("News", "Text"))
    drain()
    export = gather(member)
    [entry] = export["newsletters"]
    assert entry["subject"] == "News" and entry["status"] == "sent" and entry["sent_at"]


def test_erasure_cancels_queued_mail_and_unlinks_the_delivery(subscriber, queued):
    """The erasure hook cancels; the database forgets which member the row was for."""
    member = subscriber()
    campaign = queued()
    members.erase_member(member, actor="system")
    db.session.commit()
    delivery = db.session.scalar(select(Delivery).where(Delivery.newsletter_id == campaign.id))
    assert (delivery.status, delivery.last_error) == ("cancelled", "erased")
    assert delivery.member_id is None
