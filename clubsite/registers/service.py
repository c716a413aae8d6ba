"""Filing and reading register entries; the helpers every register shares (updating a subject
request is clubsite.registers.requests).

Functions change the session only; the caller commits once. Free text is encrypted (bound to
its table, column and entry), and every read of it is audited. actor (a clubsite.domain.Actor)
names who files, changes or reads an entry; None means the system (a command or a job).
"""

import calendar
import unicodedata
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from clubsite.database import as_utc, new_public_id, utcnow
from clubsite.domain import DomainError, Stale, as_actor
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.members.duplicates import merge_hook
from clubsite.privacy import audit
from clubsite.privacy.crypto import decrypt_field, encrypt_field
from clubsite.registers.models import (
    REQUEST_KINDS,
    REQUEST_SOURCES,
    Complaint,
    SubjectRequest,
)

TEXT_MAX = 4000
OPEN_REQUEST_STATUSES = ("open", "in_progress")
SOON = timedelta(days=7)  # "near the deadline" on the home page and the overview


class RegisterError(DomainError):
    """A refused register change; .message is for the user, .field names the form field."""


class StaleEntry(RegisterError, Stale):
    """The entry changed since the form was made (optimistic locking)."""


STALE = _l(
    "Someone else changed this entry while you were editing it. Your changes were not saved: "
    "here is the current version."
)


def one_month_after(moment):
    """The same day next month in Riga (or that month's last day): GDPR Art. 12(3)."""
    return months_after(moment, 1)


def months_after(moment, months):
    """The end of the same day `months` later in Riga (or of that month's last day)."""
    local = as_utc(moment).astimezone(CLUB_TZ)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    # In UTC: SQLite stores the wall time without its zone.
    return datetime(year, month, day, 23, 59, tzinfo=CLUB_TZ).astimezone(UTC)


def clean_long_text(text, field, *, required=False, max_len=TEXT_MAX):
    """Multi-line free text: trimmed, line breaks kept, control characters refused."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise RegisterError(_l("Please fill this in."), field)
        return ""
    if len(text) > max_len:
        raise RegisterError(_l("At most %(max)d characters, please.", max=max_len), field)
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t" for ch in text):
        raise RegisterError(_l("Remove invisible or control characters."), field)
    return unicodedata.normalize("NFC", text)


def clean_member_id(text, field="member_public_id"):
    """An optional member id (the random id shown on the member's page), or None."""
    text = (text or "").strip().lower()
    if not text:
        return None
    hexdigits = text.replace("-", "")
    if (
        len(text) != 36
        or len(hexdigits) != 32
        or any(c not in "0123456789abcdef" for c in hexdigits)
    ):
        raise RegisterError(_l("Enter the member id as shown on the member's page."), field)
    return text


def check_choice(value, choices, field):
    """Refuse a value outside the fixed set."""
    if value not in choices:
        raise RegisterError(_l("Choose one of the listed options."), field)
    return value


def check_version(entry, version):
    """Optimistic locking: refuse a form made from an older version of the entry."""
    if not str(version or "").isdigit() or int(version) != entry.version:
        raise StaleEntry(STALE)


def set_text(entry, column, text):
    """Encrypt free text into entry.<column>_enc (None when empty)."""
    if entry.public_id is None:
        entry.public_id = new_public_id()
    ring = current_app.config["KEY_RING"]
    blob = None
    if text:
        blob = encrypt_field(
            ring, text, table=entry.__tablename__, column=column, row_id=entry.public_id
        )
    setattr(entry, f"{column}_enc", blob)


def read_text(entry, column):
    """Decrypt free text of a register entry (the details or outcome of a request, ...)."""
    blob = getattr(entry, f"{column}_enc")
    if blob is None:
        return ""
    ring = current_app.config["KEY_RING"]
    return decrypt_field(
        ring, blob, table=entry.__tablename__, column=column, row_id=entry.public_id
    )


def read_texts(entry, columns, *, action, actor=None):
    """Decrypt several text columns for a page, auditing the read (column names only)."""
    values = {column: read_text(entry, column) for column in columns}
    subject = getattr(entry, "member_public_id", None)
    audit.record(
        action, subject=subject, fields=columns, detail=entry.public_id, actor=as_actor(actor)
    )
    return values


def close_if_final(entry, final_statuses, now):
    """Set or clear closed_at as the status becomes final or open again."""
    if entry.status in final_statuses:
        entry.closed_at = entry.closed_at or now
    else:
        entry.closed_at = None


def file_subject_request(member_public_id, kind, details, *, source, actor=None, now=None):
    """File a request the club must act on, due one month after receipt."""
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    now = now or utcnow()
    request = SubjectRequest(
        kind=kind,
        member_public_id=member_public_id,
        received_at=now,
        due_at=one_month_after(now),
        source=source,
    )
    request.public_id = new_public_id()
    set_text(request, "details", details[:2000] if details else "")
    db.session.add(request)
    audit.record(
        "register.request_filed", subject=member_public_id, detail=kind, actor=as_actor(actor)
    )
    return request


def record_subject_request(data, *, now=None, actor=None):
    """A request taken at the desk, by email, letter or phone (back office)."""
    kind = check_choice(data.get("kind"), REQUEST_KINDS, "kind")
    source = check_choice(data.get("source"), REQUEST_SOURCES, "source")
    member_id = clean_member_id(data.get("member_public_id"))
    details = clean_long_text(data.get("details"), "details", required=True, max_len=2000)
    received = data.get("received_at") or now or utcnow()
    if as_utc(received) > (now or utcnow()) + timedelta(minutes=5):
        raise RegisterError(_l("This date is in the future."), "received_at")
    return file_subject_request(
        member_id, kind, details, source=source, actor=as_actor(actor), now=received
    )


def is_overdue(request, now=None):
    """True for an open request past its due date."""
    return request.status in OPEN_REQUEST_STATUSES and as_utc(request.due_at) < (now or utcnow())


def open_requests(*, within=None, now=None):
    """Open requests, the nearest deadline first; only those due within `within` if given."""
    query = select(SubjectRequest).where(SubjectRequest.status.in_(OPEN_REQUEST_STATUSES))
    if within is not None:
        query = query.where(SubjectRequest.due_at <= (now or utcnow()) + within)
    return db.session.scalars(query.order_by(SubjectRequest.due_at)).all()


def pending_requests_for(member_public_id):
    """A member's requests the club has not finished yet, the nearest deadline first."""
    if not member_public_id:
        return []
    return db.session.scalars(
        select(SubjectRequest)
        .where(
            SubjectRequest.member_public_id == member_public_id,
            SubjectRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
        .order_by(SubjectRequest.due_at)
    ).all()


def list_requests(*, status=None):
    """Every request (or those with one status), the newest first."""
    query = select(SubjectRequest).order_by(SubjectRequest.received_at.desc())
    if status:
        query = query.where(SubjectRequest.status == status)
    return db.session.scalars(query).all()


def entry_by_public_id(model, public_id):
    """A register entry by its public id, or None."""
    if not public_id or len(public_id) > 36:
        return None
    return db.session.scalar(select(model).where(model.public_id == public_id))


@merge_hook
def repoint_register_entries(keep, remove):
    """After a merge, requests and complaints of the removed record name the kept member."""
    for model in (SubjectRequest, Complaint):
        db.session.execute(
            update(model)
            .where(model.member_public_id == remove.public_id)
            .values(member_public_id=keep.public_id)
            .execution_options(synchronize_session=False)
        )
