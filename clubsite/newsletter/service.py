"""Newsletter actions: write a draft, send it (freeze the audience), pause, resume, cancel,
duplicate. Scheduling is in clubsite.newsletter.schedule; it goes out through go_out() here.

Every function changes the session only; the caller's write block (clubsite.unit_of_work) commits
once per user action.
"""

import json
import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from clubsite import outbox
from clubsite.database import as_utc, utcnow
from clubsite.domain import Actor, DomainError
from clubsite.extensions import db
from clubsite.newsletter import content, frame, segments
from clubsite.newsletter.audience import select_audience
from clubsite.newsletter.message import prepare
from clubsite.newsletter.models import LANGUAGES, Delivery, Newsletter, new_delivery_ids
from clubsite.privacy import audit
from clubsite.privacy.validation import ValidationError, clean_text

SUBJECT_MAX = 150
BODY_MAX = 50_000
RATE_WINDOW_SECONDS = 30


class NewsletterError(DomainError):
    """A refused newsletter action; .errors maps form field names (or None) to messages."""

    def __init__(self, errors):
        super().__init__(errors=errors)


class AlreadyGone(NewsletterError):
    """The campaign has left the state the action needs (a second click, another runner)."""


def clean_content(raw):
    """Validated subject and body per language; at least one language must be complete."""
    values, errors = {}, {}
    for lang in LANGUAGES:
        try:
            values[f"subject_{lang}"] = clean_text(raw.get(f"subject_{lang}"), max_len=SUBJECT_MAX)
        except ValidationError as exc:
            errors[f"subject_{lang}"] = exc.message
        else:
            if not content.subject_is_safe(values[f"subject_{lang}"]):
                errors[f"subject_{lang}"] = content.MSG_UNSAFE_SUBJECT
        body = (raw.get(f"body_{lang}") or "").replace("\r\n", "\n").replace("\x00", "").strip()
        if len(body) > BODY_MAX:
            errors[f"body_{lang}"] = _l("Use at most %(max)d characters.", max=BODY_MAX)
        values[f"body_{lang}"] = body
    for lang in LANGUAGES:
        subject, body = values.get(f"subject_{lang}"), values[f"body_{lang}"]
        if subject and not body:
            errors.setdefault(f"body_{lang}", _l("Write the text for this subject."))
        if body and not subject and f"subject_{lang}" not in errors:
            errors[f"subject_{lang}"] = _l("Write a subject for this text.")
    if not errors and not any(values[f"subject_{lang}"] for lang in LANGUAGES):
        errors["subject_lv"] = _l("Write the newsletter in at least one language.")
    if errors:
        raise NewsletterError(errors)
    return values


def save_draft(newsletter, raw, *, staff):
    """Create (newsletter=None) or update a draft from the compose form's values."""
    values = clean_content(raw)
    segment = segments.clean(raw)
    if newsletter is None:
        newsletter = Newsletter(created_by_id=staff.id)
        db.session.add(newsletter)
    elif newsletter.status != "draft":
        raise NewsletterError({None: _l("Only a draft can be changed.")})
    for name, value in values.items():
        setattr(newsletter, name, value)
    newsletter.about_existing_services = bool(raw.get("about_existing_services"))
    _set_segment(newsletter, segment)
    newsletter.updated_at = utcnow()
    return newsletter


def _set_segment(newsletter, segment):
    newsletter.segment_location_id = segment.location_id
    newsletter.segment_plan_id = segment.plan_id
    newsletter.segment_language = segment.language


def duplicate(newsletter, *, staff):
    """A new draft with the campaign's content, audience kind and segment (any status)."""
    copy = Newsletter(created_by_id=staff.id)
    for lang in LANGUAGES:
        setattr(copy, f"subject_{lang}", newsletter.subject(lang))
        setattr(copy, f"body_{lang}", newsletter.body(lang))
    copy.about_existing_services = newsletter.about_existing_services
    _set_segment(copy, segments.of(newsletter))
    db.session.add(copy)
    db.session.flush()
    return copy


def delete_draft(newsletter):
    """Delete a draft that was never sent."""
    if newsletter.status != "draft":
        raise NewsletterError({None: _l("Only a draft can be deleted.")})
    db.session.delete(newsletter)


def check_sendable(newsletter):
    """Refuse a campaign that could not go out as it is (no complete language, bad subject)."""
    languages = newsletter.languages
    if not languages:
        raise NewsletterError({None: _l("Write the newsletter in at least one language.")})
    if not all(content.subject_is_safe(newsletter.subject(lang)) for lang in languages):
        raise NewsletterError({None: content.MSG_UNSAFE_SUBJECT})  # a draft saved before the check
    return languages


def queue_newsletter(newsletter, *, staff, now=None):
    """Press Send: freeze today's lawful audience into one queued delivery per recipient."""
    return go_out(newsletter, "draft", now=now, actor=Actor.staff(staff))


def go_out(newsletter, expected, *, now=None, actor):
    """Freeze the lawful audience (of the segment) now into one queued delivery per recipient.

    The campaign moves from `expected` (draft, or scheduled) to sending in one conditional
    UPDATE first, so of two clicks or two job runners exactly one goes on (AlreadyGone).
    """
    now = now or utcnow()
    locked = db.session.execute(
        update(Newsletter)
        .where(Newsletter.id == newsletter.id, Newsletter.status == expected)
        .values(status="sending", queued_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:  # a second click, or a colleague pressed Send first
        raise AlreadyGone({None: _l("This newsletter has already been sent.")})
    db.session.refresh(newsletter)
    languages = check_sendable(newsletter)
    narrow = segments.conditions(segments.of(newsletter), now)
    audience = select_audience(newsletter, now=now, narrow=narrow)
    if not audience.recipients:
        raise NewsletterError({None: _l("No one may receive this newsletter at the moment.")})
    count = _insert_deliveries(newsletter, audience.recipients, languages, now)
    newsletter.recipients_count = count
    newsletter.audience_counts = json.dumps(audience.summary())
    newsletter.frame = frame.snapshot()
    audit.record(
        "newsletter.queued",
        fields=("email", "first_name"),
        detail=f"{newsletter.public_id}:{count}",
        actor=actor,
    )
    return count


# The one statement that writes a campaign's deliveries, per driver parameter style.
INSERT_DELIVERY = {
    "qmark": "INSERT INTO delivery (public_id, newsletter_id, member_id, language, basis, "
    "status, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "format": "INSERT INTO delivery (public_id, newsletter_id, member_id, language, basis, "
    "status, attempts, next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
}
INSERT_DELIVERY["pyformat"] = INSERT_DELIVERY["format"]


def _insert_deliveries(newsletter, recipients, languages, now):
    """One queued delivery per recipient, in the caller's transaction, as one executemany
    handed to the database driver: through the ORM, 30,000 rows cost about twice as long
    (bench/segment_bench.py). Returns how many were written."""
    connection = db.session.connection()
    dialect = connection.dialect
    stamp_type = Delivery.__table__.c.next_attempt_at.type.dialect_impl(dialect)
    stamp = (stamp_type.bind_processor(dialect) or (lambda value: value))(now)
    first = languages[0]
    campaign = newsletter.id
    rows = [
        (
            public_id, campaign, r.member_id,
            r.language if r.language in languages else first, r.basis, "queued", 0, stamp,
        )
        for public_id, r in zip(new_delivery_ids(len(recipients)), recipients, strict=True)
    ]  # fmt: skip
    connection.exec_driver_sql(INSERT_DELIVERY[dialect.paramstyle], rows)
    return len(rows)


def set_paused(newsletter, paused):
    """Pause a sending campaign, or resume a paused one."""
    old, new = ("sending", "paused") if paused else ("paused", "sending")
    if newsletter.status != old:
        raise NewsletterError({None: _l("The newsletter is not in a state that allows this.")})
    newsletter.status = new
    newsletter.updated_at = utcnow()


def cancel(newsletter, *, now=None):
    """Stop a campaign for good: every delivery not yet sent is cancelled."""
    now = now or utcnow()
    if newsletter.status not in ("scheduled", "sending", "paused"):
        raise NewsletterError({None: _l("The newsletter is not in a state that allows this.")})
    newsletter.status = "cancelled"
    newsletter.finished_at = now
    # Rows leased by a live sender are left to it: it sees the cancellation within a second.
    free = (Delivery.status == "queued") | (
        (Delivery.status == "sending") & (Delivery.lease_until < now)
    )
    db.session.execute(
        update(Delivery)
        .where(Delivery.newsletter_id == newsletter.id, free)
        .values(status="cancelled", last_error="campaign_cancelled", lease_owner=None)
        .execution_options(synchronize_session=False)
    )


def statistics(newsletter):
    """Counts per delivery status, how many addresses a server refused for good (5xx), and how
    many recipients unsubscribed with its link (no opens or clicks: nothing tracks them)."""
    refused = Delivery.last_error.like("smtp\\_5%", escape="\\")
    rows = db.session.execute(
        select(
            Delivery.status,
            func.count(),
            func.count(Delivery.unsubscribed_at),
            func.sum(case((refused, 1), else_=0)),
        )
        .where(Delivery.newsletter_id == newsletter.id)
        .group_by(Delivery.status)
    ).all()
    stats = {status: 0 for status in ("queued", "sending", "sent", "failed", "cancelled")}
    stats.update({status: count for status, count, _unsubscribed, _refused in rows})
    stats["recipients"] = newsletter.recipients_count
    stats["unsubscribed"] = sum(unsubscribed for _s, _c, unsubscribed, _r in rows)
    stats["undeliverable"] = sum(int(r or 0) for status, _c, _u, r in rows if status == "failed")
    return stats


def progress(newsletter, *, now=None):
    """Sent, failed, remaining, rate (messages per second) and seconds left, for the live bar."""
    now = now or utcnow()
    stats = statistics(newsletter)
    remaining = stats["queued"] + stats["sending"]
    done = stats["sent"] + stats["failed"] + stats["cancelled"]
    since = now - timedelta(seconds=RATE_WINDOW_SECONDS)
    recent = db.session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.newsletter_id == newsletter.id, Delivery.sent_at >= since)
    )
    started = as_utc(newsletter.queued_at) or now
    window = min(RATE_WINDOW_SECONDS, max((now - started).total_seconds(), 1.0))
    rate = recent / window if newsletter.status == "sending" else 0.0
    total = stats["recipients"] or 1
    return {
        "status": newsletter.status,
        "recipients": stats["recipients"],
        "sent": stats["sent"],
        "failed": stats["failed"],
        "cancelled": stats["cancelled"],
        "remaining": remaining,
        "unsubscribed": stats["unsubscribed"],
        "percent": round(100 * done / total) if stats["recipients"] else 100,
        "rate": round(rate, 1),
        "seconds_left": round(remaining / rate) if rate > 0 else None,
    }


def send_test(newsletter, staff):
    """Queue every written language version for the staff member's own address, as a test.

    Through the outbox, in the caller's write block: the job runner sends them in a moment.
    """
    first_name = (staff.name or "").split()[0] if staff.name else None
    for lang in newsletter.languages:
        prepared = prepare(newsletter, lang, "consent", subject_prefix="[TEST] ")
        data = prepared.personalise(staff.email, first_name, "test")
        outbox.enqueue(data, kind="newsletter_test", to=staff.email)
    return len(newsletter.languages)


def find(public_id):
    """The newsletter with this public id, or None."""
    if not public_id or len(public_id) > 36 or not re.fullmatch(r"[0-9a-f-]+", public_id):
        return None
    return db.session.scalar(select(Newsletter).where(Newsletter.public_id == public_id))
