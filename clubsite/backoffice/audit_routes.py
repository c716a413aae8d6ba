"""The audit log (admin): filter by staff member, member, action and date."""

from datetime import datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import select

from clubsite.backoffice import bp
from clubsite.backoffice.guard import requires
from clubsite.extensions import db
from clubsite.i18n import CLUB_TZ
from clubsite.privacy.audit import AuditEvent, verify_chain
from clubsite.staff.models import StaffUser

PAGE_SIZE = 100


def _parse_day(text):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date() if text else None
    except ValueError:
        return None


@bp.route("/audit")
@requires("audit.view")
def audit_log():
    """The newest audit events first, filtered, with keyset pagination."""
    args = request.args
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)
    if args.get("actor"):
        query = query.where(AuditEvent.actor_id == args["actor"])
    if args.get("subject"):
        query = query.where(AuditEvent.subject_id == args["subject"].strip())
    if args.get("action"):
        query = query.where(AuditEvent.action.startswith(args["action"].strip()))
    day_from, day_to = _parse_day(args.get("from")), _parse_day(args.get("to"))
    if day_from:
        query = query.where(AuditEvent.at >= datetime.combine(day_from, time(), CLUB_TZ))
    if day_to:
        query = query.where(
            AuditEvent.at < datetime.combine(day_to + timedelta(1), time(), CLUB_TZ)
        )
    if args.get("before", "").isdigit():
        query = query.where(AuditEvent.id < int(args["before"]))
    events = db.session.scalars(query).all()
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.name)).all()
    names = {user.public_id: user.name for user in staff}
    broken = verify_chain() if args.get("verify") else None
    return render_template(
        "backoffice/audit.html",
        events=events,
        staff=staff,
        names=names,
        verified=bool(args.get("verify")),
        broken=broken,
        page_size=PAGE_SIZE,
    )
