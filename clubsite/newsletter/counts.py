"""Audience counts for staff pages, kept while nothing they depend on has changed.

Deciding the audience of 100,000 members takes a couple of seconds (each included address is
decrypted to check it against the suppression list), too slow for every visit of the home page.
The counts are kept with a fingerprint of the data they come from (a handful of indexed counts
and maxima) and for at most a few minutes. Pressing Send, and the sender, never use these
counts: they decide afresh.
"""

import time

from flask import current_app
from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.fees.models import Membership
from clubsite.newsletter import segments
from clubsite.newsletter.audience import audience_for
from clubsite.newsletter.models import UndeliverableAddress
from clubsite.privacy.models import ConsentEvent, Member, MemberPurpose, Suppression

EXTENSION = "newsletter_audience_counts"
MAX_AGE_SECONDS = 300  # backstop for changes the fingerprint cannot see (a membership's end date)
MAX_KEPT = 64  # kinds and segments whose counts are kept at once


def _fingerprint():
    """Changes whenever members, enrolments, consents, memberships, the suppression list or
    the undeliverable marks change."""
    parts = [
        select(func.count()).select_from(Member),
        select(func.max(Member.updated_at)),
        select(func.count()).select_from(MemberPurpose),
        select(func.max(MemberPurpose.id)),
        select(func.max(ConsentEvent.id)),
        select(func.count()).select_from(Suppression),
        select(func.count()).select_from(Membership),
        select(func.max(Membership.id)),
        select(func.count()).select_from(UndeliverableAddress),
        select(func.max(UndeliverableAddress.marked_at)),
    ]
    return tuple(db.session.execute(select(*(p.scalar_subquery() for p in parts))).one())


def audience_summary(about_existing_services, segment=None):
    """Counts per reason (never who) for a newsletter of this kind, within its segment."""
    segment = segment or segments.Segment()
    cache = current_app.extensions.setdefault(EXTENSION, {})
    fingerprint = _fingerprint()
    key = (about_existing_services, segment)
    kept = cache.get(key)
    if kept and kept[0] == fingerprint and time.monotonic() - kept[1] < MAX_AGE_SECONDS:
        return dict(kept[2])
    narrow = segments.conditions(segment)
    summary = audience_for(about_existing_services, narrow=narrow).summary()
    if len(cache) >= MAX_KEPT:
        cache.clear()
    cache[key] = (fingerprint, time.monotonic(), summary)
    return dict(summary)


def reach(summary, about_existing_services):
    """How many people a campaign of this kind reaches, from its counts."""
    soft = summary.get("soft_opt_in", 0) if about_existing_services else 0
    return summary.get("consent", 0) + soft
