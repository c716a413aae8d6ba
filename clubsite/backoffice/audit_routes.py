"""The audit log (admin): filter by staff member, member, action and date; check the chain.

Checking the chain walks the whole log, so it runs only on a POST (a button with a CSRF token):
a link, a prefetch or a crawler cannot set it off, and a plain GET never verifies.
"""

from datetime import datetime, time, timedelta

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from clubsite import unit_of_work
from clubsite.backoffice import labels
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.privacy import audit
from clubsite.privacy.audit import AuditEvent
from clubsite.staff.models import StaffUser
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires
from clubsite.web.params import parse_day, parse_int

PAGE_SIZE = 100

# Verification.reason, in the reader's language.
REASONS = {
    audit.REASON_LINK: _l("an event before it is missing, or events have been reordered"),
    audit.REASON_HASH: _l("it has been changed, or hashed without the audit key"),
    audit.REASON_HEAD: _l("the head of the chain does not match its last event"),
}


def _events(args):
    """The newest events first, filtered by the query string, one page (keyset pagination)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)
    if args.get("actor"):
        query = query.where(AuditEvent.actor_id == args["actor"])
    if args.get("subject"):
        query = query.where(AuditEvent.subject_id == args["subject"].strip())
    if args.get("action"):
        query = query.where(AuditEvent.action.startswith(args["action"].strip()))
    day_from, day_to = parse_day(args.get("from")), parse_day(args.get("to"))
    if day_from:
        query = query.where(AuditEvent.at >= datetime.combine(day_from, time(), CLUB_TZ))
    if day_to:
        query = query.where(
            AuditEvent.at < datetime.combine(day_to + timedelta(1), time(), CLUB_TZ)
        )
    before = parse_int(args.get("before"))  # bounded: a huge number is ignored, not a 500
    if before:
        query = query.where(AuditEvent.id < before)
    return db.session.scalars(query).all()


def _render(form, verification=None):
    events = _events(request.args)
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.name)).all()
    return render_template(
        "backoffice/audit.html",
        events=events,
        staff=staff,
        names={user.public_id: user.name for user in staff},
        form=form,
        verification=verification,
        reason=REASONS.get(verification.reason, verification.reason) if verification else None,
        page_size=PAGE_SIZE,
        actions=labels.action_choices(),
        action_label=labels.action_label,
        field_labels=labels.field_labels,
    )


@office.route("/audit")
@requires("audit.view")
def audit_log():
    """The newest audit events first, filtered, with keyset pagination (never verifies)."""
    return _render(EmptyForm())


@office.route("/audit/verify", methods=["POST"])
@requires("audit.view")
def audit_verify():
    """Walk the whole chain under the audit key and show the outcome above the log."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    verification = audit.verify()  # its own read-only snapshot: no lock while the log is walked
    if verification.intact:
        detail = f"intact, {verification.events} events"
    else:
        detail = f"broken at {verification.broken_at}"
    with unit_of_work.write():
        audit.record("audit.verified", detail=detail, actor=Actor.staff(current_user))
    return _render(form, verification=verification)
