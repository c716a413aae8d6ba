"""Put a mail into the outbox (with the action that causes it), and read the outbox's state."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

from flask import current_app
from sqlalchemy import case, delete, func, select, update

from clubsite.database import as_utc, new_public_id, utcnow
from clubsite.extensions import db
from clubsite.mail import MAIL_POLICY
from clubsite.outbox.models import OPEN_STATUSES, TABLE, OutboxMessage
from clubsite.privacy.crypto import decrypt_field, encrypt_field

KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
DEFAULT_KEEP_DAYS = 30  # how long the record of a final message (no address, no body) stays
FINAL = ("sent", "failed")


def enqueue(message, *, kind, member=None, to=None, valid_for=None):
    """Add a rendered mail to the current session; it goes out once the caller commits.

    `message` is an EmailMessage (or its bytes, with `to`); the envelope recipient is `to` or
    the message's To address. `member` (a Member or its id) ties the mail to its person, so an
    erasure deletes it while it waits; `valid_for` (a timedelta) is how long the mail is worth
    sending (its link's lifetime). Call it inside the action's unit_of_work.write() block:
    if the action rolls back, no mail is sent; if it commits, the mail is sent by the job runner.
    """
    if not KIND.fullmatch(kind):
        raise ValueError(f"outbox kind {kind!r}: lower-case letters, digits and _ only")
    data = message if isinstance(message, bytes) else message.as_bytes(policy=MAIL_POLICY)
    if to is None:
        if isinstance(message, bytes):
            raise ValueError("a message given as bytes needs `to`")
        addresses = [address for _name, address in getaddresses(message.get_all("To", []))]
        if len(addresses) != 1 or not addresses[0]:
            raise ValueError("an outbox message needs exactly one recipient")
        to = addresses[0]
    member_id = getattr(member, "id", member)
    if member is not None and member_id is None:
        db.session.flush()  # a member created in this same action: give it its id first
        member_id = member.id
    row = OutboxMessage(public_id=new_public_id(), kind=kind, member_id=member_id)
    if valid_for is not None:
        row.expires_at = utcnow() + valid_for
    ring = current_app.config["KEY_RING"]
    row.recipient_enc = encrypt_field(
        ring, to, table=TABLE, column="recipient", row_id=row.public_id
    )
    # MIME bytes as text for the field cipher: latin-1 maps every byte to one character and back.
    row.body_enc = encrypt_field(
        ring, data.decode("latin-1"), table=TABLE, column="body", row_id=row.public_id
    )
    db.session.add(row)
    return row


def open_message(ring, row):
    """(recipient, MIME bytes) of a stored message (a row with public_id and the two blobs)."""
    bound = {"table": TABLE, "row_id": row.public_id}
    recipient = decrypt_field(ring, row.recipient_enc, column="recipient", **bound)
    body = decrypt_field(ring, row.body_enc, column="body", **bound)
    return recipient, body.encode("latin-1")


@dataclass(frozen=True)
class OutboxSummary:
    """The outbox at a glance: mail waiting, failed for good, and since when the oldest waits."""

    waiting: int
    failed: int
    oldest_waiting: datetime | None


def summary():
    """Counts for the admin home (failed: those still on record, i.e. of the last keep days)."""
    is_open = OutboxMessage.status.in_(OPEN_STATUSES)
    waiting, failed, oldest = db.session.execute(
        select(
            func.coalesce(func.sum(case((is_open, 1), else_=0)), 0),
            func.coalesce(func.sum(case((OutboxMessage.status == "failed", 1), else_=0)), 0),
            func.min(case((is_open, OutboxMessage.created_at), else_=None)),
        )
    ).one()
    return OutboxSummary(int(waiting), int(failed), as_utc(oldest))


def recent_failures(limit=5):
    """The latest mails that failed for good: (kind, when, error code), no one's data."""
    query = (
        select(OutboxMessage.kind, OutboxMessage.finished_at, OutboxMessage.last_error)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.finished_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return [(kind, as_utc(when), code) for kind, when, code in db.session.execute(query)]


def purge_statements(now, keep_days=None):
    """What the sender runs after each pass: drop old final records, and any leftover content."""
    keep_days = keep_days or current_app.config.get("OUTBOX_KEEP_DAYS", DEFAULT_KEEP_DAYS)
    table = OutboxMessage.__table__
    final = table.c.status.in_(FINAL)
    return [
        delete(table).where(final, table.c.finished_at < now - timedelta(days=keep_days)),
        # A final row keeps no address or body, whatever wrote it back (a key rotation racing
        # the sender).
        update(table)
        .where(final, (table.c.body_enc.is_not(None)) | (table.c.recipient_enc.is_not(None)))
        .values(body_enc=None, recipient_enc=None),
    ]
