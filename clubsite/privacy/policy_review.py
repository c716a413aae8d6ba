"""The yearly review of the club's own documents: the privacy notice, the staff data-protection
policy (the training's text) and the cookie page.

A review records which document, which version of it (a hash of what it says, and the policy's
version number), who reviewed it, when, and an optional note. A document is due for review a
year after its last review, at once if it was never reviewed, and it is marked as changed when
its text differs from the version last reviewed.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.domain import DomainError, NotFound
from clubsite.extensions import db
from clubsite.privacy import audit, policy, ropa

REVIEW_EVERY = timedelta(days=365)
NOTE_MAX = 500


class PolicyReview(db.Model):
    """One review of one document, by a staff member (append-only)."""

    id = db.Column(db.Integer, primary_key=True)
    document = db.Column(db.String(32), nullable=False, index=True)
    version = db.Column(db.String(20))  # the document's own version number, if it has one
    content_hash = db.Column(db.String(64), nullable=False)  # SHA-256 of the text reviewed
    reviewed_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    reviewed_by = db.Column(db.Integer, db.ForeignKey("staff_user.id", ondelete="SET NULL"))
    note = db.Column(db.String(NOTE_MAX))


@dataclass(frozen=True)
class Document:
    """A document the club reviews every year."""

    key: str
    title: object
    endpoint: str  # where it can be read
    templates: tuple  # the templates whose source is its text

    def extra_text(self):
        """What besides the templates makes up the text (registry-generated parts)."""
        if self.key == "privacy_notice":
            return ropa.as_text("lv")  # the notice is generated from the purpose registry
        if self.key == "data_protection_policy":
            return policy_text()
        return ""


DOCUMENTS = {
    doc.key: doc
    for doc in (
        Document(
            "privacy_notice",
            _l("Privacy notice"),
            "public.privacy_notice",
            ("public/privacy_notice.html",),
        ),
        Document(
            "data_protection_policy",
            _l("Data-protection policy (the staff training)"),
            "backoffice.policy_training",
            ("backoffice/policy.html",),
        ),
        Document("cookies", _l("Cookie page"), "public.cookies", ("public/cookies.html",)),
    )
}


class ReviewError(DomainError):
    """A review that cannot be recorded as asked."""


def policy_text():
    """The staff policy and its questions, in Latvian, as the staff read them."""
    with force_locale("lv"):
        lines = [f"{title}: {text}" for title, text in policy.POLICY_POINTS]
        for question in policy.TRAINING:
            lines.append(f"{question.key}: {question.text} | answer {question.answer}")
            lines.extend(f"  - {choice}" for choice in question.choices)
    return "\n".join(lines)


def _template_source(name):
    env = current_app.jinja_env
    return env.loader.get_source(env, name)[0]


def content_hash(document):
    """SHA-256 of the document's text as it is now (templates and generated parts)."""
    digest = hashlib.sha256()
    for name in document.templates:
        digest.update(_template_source(name).encode("utf-8") + b"\x00")
    digest.update(document.extra_text().encode("utf-8"))
    return digest.hexdigest()


def version_of(document):
    """The document's own version number (only the staff policy has one)."""
    return policy.POLICY_VERSION if document.key == "data_protection_policy" else None


def record_review(key, reviewer, *, seen_hash=None, note="", actor, now=None):
    """Record that a staff member reviewed a document as it is now.

    seen_hash is the hash of the version the reviewer had in front of them: if the document
    changed since, the review is refused (it would vouch for a text nobody read).
    """
    document = DOCUMENTS.get(key)
    if document is None:
        raise NotFound()
    current = content_hash(document)
    if seen_hash is not None and seen_hash != current:
        raise ReviewError(
            _l("The document has changed since you opened this page. Read it again, then save.")
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ReviewError(_l("The note may be at most 500 characters long."), "note")
    review = PolicyReview(
        document=key,
        version=version_of(document),
        content_hash=current,
        reviewed_at=now or utcnow(),
        reviewed_by=reviewer.id,
        note=note or None,
    )
    db.session.add(review)
    audit.record(
        "policy.reviewed",
        detail=f"{key} {review.version or current[:12]}",
        actor=actor,
    )
    return review


@dataclass(frozen=True)
class ReviewStatus:
    """A document with its last review and whether a review is due."""

    document: Document
    last: PolicyReview | None
    current_hash: str
    due: bool
    changed: bool  # the text differs from the version last reviewed
    due_on: object  # when the next review is due (None: now, never reviewed)


def review_status(*, now=None):
    """Every document's last review, due a year after it (or at once if never reviewed)."""
    now = now or utcnow()
    status = []
    for document in DOCUMENTS.values():
        last = next(iter(history(document.key, limit=1)), None)
        current = content_hash(document)
        due_on = as_utc(last.reviewed_at) + REVIEW_EVERY if last else None
        status.append(
            ReviewStatus(
                document=document,
                last=last,
                current_hash=current,
                due=last is None or due_on <= now,
                changed=last is not None and last.content_hash != current,
                due_on=due_on,
            )
        )
    return status


def history(key, *, limit=10):
    """The latest reviews of a document, newest first."""
    return db.session.scalars(
        select(PolicyReview)
        .where(PolicyReview.document == key)
        .order_by(PolicyReview.reviewed_at.desc(), PolicyReview.id.desc())
        .limit(limit)
    ).all()
