"""The outbox: every mail the product sends, written with the action and sent by the job runner.

`enqueue(message, kind=..., member=...)` adds a rendered mail to the session of the action's
unit of work, so it is sent if and only if the action commits. The `outbox` job (see
`init_app`) sends what is due, retries temporary failures with growing delays, records
permanent ones, and deletes each message's address and body once it is final. A mail too
heavy to render with its action (a month's invoices, PDFs and all) is queued with
`enqueue_deferred(renderer, spec, ...)` and made at send time (clubsite.outbox.deferred).
"""

from clubsite.jobs import register_jobs
from clubsite.outbox import sender
from clubsite.outbox.deferred import (
    RenderError,
    enqueue_deferred,
    enqueue_deferred_many,
    register_renderer,
)
from clubsite.outbox.sender import send_due
from clubsite.outbox.service import enqueue, recent_failures, summary

__all__ = [
    "RenderError",
    "enqueue",
    "enqueue_deferred",
    "enqueue_deferred_many",
    "init_app",
    "recent_failures",
    "register_renderer",
    "send_due",
    "summary",
]


def init_app(app):
    """Register the outbox job (every OUTBOX_EVERY_SECONDS, 5 by default)."""
    register_jobs(app, sender)
