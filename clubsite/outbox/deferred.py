"""Mail made when it is sent: the outbox keeps a renderer's name and a small spec, not the message.

The month's invoice run queues tens of thousands of mails, each with a PDF. Rendering them all
in the run's transaction would hold the write lock for minutes and store a PDF per row, so such
a mail is queued as a *deferred* message: `enqueue_deferred(renderer, spec, to=, kind=, ...)`
stores the renderer's name and its spec (JSON: which invoice, which reminder) in place of the
MIME bytes, encrypted and bound to the row like any body (`enqueue_deferred_many` writes a whole
run's rows in one multi-row INSERT). The sender (clubsite.outbox.sender)
calls `resolve` right before handing a message over: the registered renderer,
`func(spec, to=address) -> EmailMessage`, makes the mail (PDF and all) from the database as it
is then. An area registers its renderers from its init_app: `register_renderer(app, name, func)`.

A renderer raises `RenderError` when the mail can no longer be made (its invoice is gone): the
message fails for good with the code "render". Everything else the outbox does (leases,
retries, expiry, deleting the body once final, erasure with the member) is the same as for any
message.
"""

import json
import re

from flask import current_app
from sqlalchemy import insert

from clubsite.database import new_public_id, utcnow
from clubsite.extensions import db
from clubsite.mail import MAIL_POLICY
from clubsite.outbox.models import TABLE, OutboxMessage
from clubsite.outbox.service import KIND, enqueue
from clubsite.privacy.crypto import encrypt_field

_EXTENSION = "clubsite.outbox.renderers"
MARKER = b"X-Clubsite-Deferred: "
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class RenderError(Exception):
    """The deferred mail cannot be made any more; it is recorded as failed, not retried."""


def register_renderer(app, name, func):
    """Let the sender make deferred mails of this name with func(spec, to=address)."""
    if not NAME.fullmatch(name):
        raise ValueError(f"renderer name {name!r}: lower-case letters, digits and _ only")
    app.extensions.setdefault(_EXTENSION, {})[name] = func


def enqueue_deferred(renderer, spec, *, kind, to, member=None, valid_for=None):
    """Queue a mail the named renderer makes at send time from `spec` (JSON-serialisable)."""
    if not NAME.fullmatch(renderer):
        raise ValueError(f"renderer name {renderer!r}: lower-case letters, digits and _ only")
    body = MARKER + renderer.encode("ascii") + b"\r\n\r\n" + json.dumps(spec).encode("utf-8")
    return enqueue(body, kind=kind, member=member, to=to, valid_for=valid_for)


def enqueue_deferred_many(renderer, items, *, kind):
    """Queue many deferred mails in one statement: items are (spec, to, member id or None).

    For a run of tens of thousands (the month's invoices): the rows are written as one
    multi-row INSERT in the caller's transaction, encrypted and bound exactly as `enqueue`
    binds them, without an ORM object per mail. Returns how many were queued.
    """
    if not NAME.fullmatch(renderer) or not KIND.fullmatch(kind):
        raise ValueError(f"renderer {renderer!r} or kind {kind!r}: lower-case letters, digits, _")
    ring = current_app.config["KEY_RING"]
    head = MARKER + renderer.encode("ascii") + b"\r\n\r\n"
    now = utcnow()
    rows = []
    for spec, to, member_id in items:
        public_id = new_public_id()
        body = (head + json.dumps(spec).encode("utf-8")).decode("latin-1")
        bound = {"table": TABLE, "row_id": public_id}
        rows.append(
            {
                "public_id": public_id,
                "kind": kind,
                "member_id": member_id,
                "recipient_enc": encrypt_field(ring, to, column="recipient", **bound),
                "body_enc": encrypt_field(ring, body, column="body", **bound),
                "status": "queued",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    if rows:
        db.session.execute(insert(OutboxMessage.__table__), rows)
    return len(rows)


def is_deferred(data):
    """True if the stored body is a renderer's spec rather than a message."""
    return data.startswith(MARKER)


def resolve(app, data, to):
    """The MIME bytes to send: `data` itself, or what its renderer makes of its spec now."""
    if not is_deferred(data):
        return data
    head, _, payload = data.partition(b"\r\n\r\n")
    name = head[len(MARKER) :].decode("ascii", "replace")
    func = app.extensions.get(_EXTENSION, {}).get(name)
    if func is None:
        raise RenderError(f"no renderer {name!r}")
    try:
        message = func(json.loads(payload), to=to)
    finally:
        # The renderer read through the session: end that read, so no snapshot stays open
        # while the sender goes on (on SQLite it would keep the WAL from being checkpointed).
        db.session.rollback()
    return message.as_bytes(policy=MAIL_POLICY)
