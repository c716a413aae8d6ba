"""The breach register and its 72-hour clock to notify the Data State Inspectorate (Art. 33)."""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from clubsite.database import as_utc, utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.privacy import audit
from clubsite.registers.models import BREACH_CATEGORIES, BREACH_RISKS, BREACH_STATUSES, Breach
from clubsite.registers.service import (
    RegisterError,
    check_choice,
    check_version,
    clean_long_text,
    close_if_final,
    set_text,
)

NOTIFY_WITHIN = timedelta(hours=72)
MAX_PEOPLE = 10_000_000


@dataclass(frozen=True)
class Countdown:
    """Where a breach stands against its 72-hour notification deadline."""

    deadline: object  # aware datetime
    hours: int  # whole hours left (or over, when overdue)
    minutes: int
    overdue: bool
    notified: bool  # the authority has been told: the clock has stopped

    @property
    def running(self):
        """True while the authority still has to be told."""
        return not self.notified


def notify_deadline(breach):
    """The moment by which the authority must be told: 72 hours after detection."""
    return as_utc(breach.detected_at) + NOTIFY_WITHIN


def countdown(breach, *, now=None):
    """The 72-hour clock of a breach, computed on the server."""
    now = now or utcnow()
    deadline = notify_deadline(breach)
    notified = breach.authority_notified_at is not None
    end = as_utc(breach.authority_notified_at) if notified else now
    left = deadline - end
    overdue = left < timedelta(0)
    minutes = int(abs(left).total_seconds() // 60)
    return Countdown(deadline, minutes // 60, minutes % 60, overdue, notified)


def _apply(breach, data, now):
    """Validate the form's values and put them on the breach."""
    detected = data.get("detected_at")
    if detected is None:
        raise RegisterError(_l("Please fill this in."), "detected_at")
    if as_utc(detected) > now + timedelta(minutes=5):
        raise RegisterError(_l("This date is in the future."), "detected_at")
    categories = [c for c in data.get("categories") or [] if c]
    if any(c not in BREACH_CATEGORIES for c in categories):
        raise RegisterError(_l("Choose one of the listed options."), "categories")
    count = data.get("people_count")
    if count is not None and not 0 <= count <= MAX_PEOPLE:
        raise RegisterError(_l("Give a number of people from 0 upwards."), "people_count")
    notified = data.get("authority_notified_at")
    if notified is not None and as_utc(notified) < as_utc(detected):
        raise RegisterError(
            _l("The authority cannot be told before detection."), "authority_notified_at"
        )
    breach.detected_at = detected
    breach.categories = ",".join(dict.fromkeys(categories))
    breach.people_count = count
    breach.risk = check_choice(data.get("risk"), BREACH_RISKS, "risk")
    breach.authority_notified_at = notified
    breach.people_informed = bool(data.get("people_informed"))
    informed_at = data.get("people_informed_at")
    breach.people_informed_at = (informed_at or now) if breach.people_informed else None
    breach.status = check_choice(data.get("status") or "open", BREACH_STATUSES, "status")
    description = clean_long_text(data.get("description"), "description", required=True)
    set_text(breach, "description", description)
    set_text(breach, "measures", clean_long_text(data.get("measures"), "measures"))
    close_if_final(breach, ("closed",), now)


def record_breach(data, *, now=None, actor=None):
    """Record a breach the moment it is known; the 72-hour clock runs from its detection."""
    now = now or utcnow()
    breach = Breach(recorded_at=now)
    _apply(breach, data, now)
    db.session.add(breach)
    audit.record(
        "register.breach_recorded",
        fields=["description", "measures"],
        detail=breach.public_id,
        actor=as_actor(actor),
    )
    return breach


def update_breach(breach, data, *, version, now=None, actor=None):
    """Update a breach (optimistic locking): notification, people told, measures, status."""
    check_version(breach, version)
    _apply(breach, data, now or utcnow())
    audit.record(
        "register.breach_updated",
        fields=["description", "measures"],
        detail=breach.public_id,
        actor=as_actor(actor),
    )
    return breach


def open_breaches():
    """Breaches not closed yet, the oldest detection first."""
    query = select(Breach).where(Breach.status != "closed").order_by(Breach.detected_at)
    return db.session.scalars(query).all()


def list_breaches():
    """Every breach, the newest detection first."""
    return db.session.scalars(select(Breach).order_by(Breach.detected_at.desc())).all()
