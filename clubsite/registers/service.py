"""Filing and reading register entries."""

import calendar
from datetime import datetime

from flask import current_app

from clubsite.database import as_utc, utcnow
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.privacy import audit
from clubsite.privacy.crypto import decrypt_field, encrypt_field
from clubsite.registers.models import REQUEST_KINDS, SubjectRequest


def one_month_after(moment):
    """The same day of the next month in Riga (the last day if it has fewer days): GDPR Art. 12(3)."""
    local = as_utc(moment).astimezone(CLUB_TZ)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, 23, 59, tzinfo=CLUB_TZ)


def _encrypt(request, column, text):
    ring = current_app.config["KEY_RING"]
    return encrypt_field(
        ring, text, table="subject_request", column=column, row_id=request.public_id
    )


def read_text(request, column):
    """Decrypt the details or outcome of a request."""
    blob = getattr(request, f"{column}_enc")
    if blob is None:
        return ""
    ring = current_app.config["KEY_RING"]
    return decrypt_field(
        ring, blob, table="subject_request", column=column, row_id=request.public_id
    )


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
    from clubsite.database import new_public_id

    request.public_id = new_public_id()
    request.details_enc = _encrypt(request, "details", details[:2000]) if details else None
    db.session.add(request)
    audit.record("register.request_filed", subject=member_public_id, detail=kind, actor=actor)
    return request
