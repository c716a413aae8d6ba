"""The newsletter is sent by the job runner's `newsletter` job, never by a web worker."""

from collections import Counter

from sqlalchemy import select

from clubsite.extensions import db
from clubsite.jobs.runner import run_due
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy import fields


def test_the_newsletter_job_sends_a_queued_campaign_once(subscriber, queued, mailbox):
    """Send only queues; the job sends every delivery, and a second run sends nothing more."""
    addresses = [fields.read(subscriber(), ["email"])["email"] for _ in range(3)]
    campaign = queued()
    assert mailbox.messages == []  # pressing Send started nothing
    [outcome] = run_due(names=["newsletter"])
    assert outcome.ok and outcome.result == "sent=3 retry=0 failed=0 cancelled=0"
    assert Counter(r for m in mailbox.messages for r in m["to"]) == Counter(addresses)
    db.session.expire_all()
    assert set(db.session.scalars(select(Delivery.status))) == {"sent"}
    assert db.session.get(Newsletter, campaign.id).status == "sent"
