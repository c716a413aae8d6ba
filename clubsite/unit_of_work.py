"""The transaction of a user action: a read by default, one short write where the action writes.

A request reads in a deferred transaction (on SQLite in WAL mode: no lock, side by side with
every other reader). Only the block inside `write()` takes the write lock: it ends the read,
begins an immediate transaction, runs, commits once, and rolls back on any error. What the
request read of personal data is audited: those events are appended in one short write at the
end of the request, and if that write fails the response becomes an error (fail closed).

Domain errors are mapped here and nowhere else: inside `write(form)` they become the form's
errors; elsewhere the error page with the error's status (AccessDenied 403, NotFound 404, Stale
409, any other refusal 400).
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass

from flask import g, has_app_context, has_request_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from clubsite.database import set_transactions_begin, transactions_begin
from clubsite.domain import DomainError, NotFound, Stale
from clubsite.errors import render_error
from clubsite.extensions import db

log = logging.getLogger(__name__)

# The session.info key under which audit events wait for their transaction's commit.
PENDING_EVENTS = "audit_pending"


class WriteOutsideUnit(RuntimeError):
    """A request changed the database outside `write()`: a programming error, never data."""


@dataclass
class Outcome:
    """What a write block ended with: ok, or the domain error shown on the form."""

    ok: bool = False
    error: DomainError | None = None


def _state():
    """Per-request (or per-app-context) flags; a plain dict outside any context."""
    if not has_app_context():
        return {}
    return g.setdefault("_unit_of_work", {"writing": False, "reads": [], "read_only": False})


def as_domain_error(exc):
    """The domain error a database-level conflict stands for, or None."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, StaleDataError):
        return Stale()
    if isinstance(exc, ObjectDeletedError):
        return NotFound()
    return None


def apply_to_form(form, error):
    """Show a domain error on the fields it names, or above the form."""
    for name, message in error.errors.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


@contextmanager
def write(form=None):
    """Run the block as the action's one write transaction.

    With a form, a domain error rolls back and appears on the form (outcome.error); without,
    it propagates to the error page. Nested blocks are part of the outer one.
    """
    state = _state()
    outcome = Outcome()
    if state.get("writing"):
        yield outcome
        outcome.ok = True
        return
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise WriteOutsideUnit("changes were made before the write step began")
    reads = session.info.pop(PENDING_EVENTS, [])
    session.rollback()  # end the read snapshot; what the block touches reloads under the lock
    session.info.setdefault(PENDING_EVENTS, [])[:0] = reads
    state["writing"] = True
    try:
        with transactions_begin(immediate=True):
            try:
                yield outcome
                session.commit()
            except Exception as exc:
                error = as_domain_error(exc)
                if error is not None and error.keeps_changes:
                    session.commit()
                else:
                    session.rollback()
                    state.setdefault("reads", []).extend(reads)  # what was read was still shown
                if error is None or form is None:
                    if error is not None and error is not exc:
                        raise error from exc
                    raise
                apply_to_form(form, error)
                outcome.error = error
            else:
                outcome.ok = True
    finally:
        state["writing"] = False


def append_reads():
    """Append the request's read events in one short write (called at the end of a request)."""
    state = _state()
    session = db.session()
    events = state.pop("reads", []) + session.info.pop(PENDING_EVENTS, [])
    if not events:
        return
    state["reads"] = []
    with write():
        session.info.setdefault(PENDING_EVENTS, [])[:0] = events


def init_app(app):
    """Reads by default for every request; the read audit at the end; domain errors mapped."""

    def _begin_reading():
        state = _state()
        state["read_only"] = True
        set_transactions_begin(False)

    # First of all before-request hooks: the login and two-factor checks already read.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_reading)

    @app.after_request
    def _finish(response):
        try:
            append_reads()
        except Exception as exc:  # fail closed: no personal data without its audit event
            log.error("audit append failed: %s", type(exc).__name__)
            db.session.rollback()
            body, status = render_error(500)
            response = app.response_class(body, status=status, mimetype="text/html")
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _end(_exc):
        state = _state()
        state["read_only"] = False
        state.pop("reads", None)
        set_transactions_begin(True)  # the thread's next user (a command, a job) writes

    @app.errorhandler(DomainError)
    def _domain_error(exc):
        return render_error(exc.status, exc.message)

    @app.errorhandler(StaleDataError)
    def _stale(_exc):
        error = Stale()
        return render_error(error.status, error.message)

    @app.errorhandler(ObjectDeletedError)
    def _gone(_exc):
        return render_error(404)


def _refuse_if_reading(session):
    if has_request_context() and _state().get("read_only") and not _state().get("writing"):
        raise WriteOutsideUnit("a request wrote outside clubsite.unit_of_work.write()")


@event.listens_for(Session, "before_flush")
def _check_flush(session, _flush_context, _instances):
    _refuse_if_reading(session)


@event.listens_for(Session, "do_orm_execute")
def _check_execute(orm_execute_state):
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        _refuse_if_reading(orm_execute_state.session)
