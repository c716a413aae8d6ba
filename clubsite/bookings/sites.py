"""Club sites (admin): add, rename, set the address and opening hours, close and reopen.

A site is never deleted: closing it keeps its halls, their past bookings and its check-ins,
and stops new bookings there. A site with bookings still ahead, or the club's last open site,
is not closed. Changes are audited under the Actor passed in (None: the system).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.bookings.errors import SiteError
from clubsite.bookings.models import Booking, Hall, hall_label
from clubsite.database import utcnow
from clubsite.domain import as_actor
from clubsite.extensions import db
from clubsite.locations import Location
from clubsite.privacy import audit
from clubsite.privacy.validation import ValidationError, clean_text

NAME_MAX = 100
ADDRESS_MAX = 200
HOURS_MAX = 200


def site_by_name(name):
    """The site with this name (any case), or None: what the command line names sites by."""
    wanted = " ".join((name or "").split()).casefold()
    every = db.session.scalars(select(Location))
    return next((site for site in every if site.name.casefold() == wanted), None)


def add_site(raw, *, actor=None):
    """Create an open site from the form's name, address and opening hours."""
    site = Location(active=True)
    _apply(site, raw)
    db.session.add(site)
    db.session.flush()
    audit.record("site.created", detail=f"site:{site.public_id}", actor=as_actor(actor))
    return site


def update_site(site, raw, *, actor=None):
    """Rename a site or change its address or opening hours."""
    _apply(site, raw)
    audit.record("site.changed", detail=f"site:{site.public_id}", actor=as_actor(actor))
    return site


def upcoming_bookings(site, *, now=None):
    """{hall label: number of bookings not yet over} for the site's halls."""
    rows = db.session.execute(
        select(Hall.name, func.count(Booking.id))
        .join(Booking, Booking.hall_id == Hall.id)
        .where(Hall.location_id == site.id, Booking.ends_at > (now or utcnow()))
        .group_by(Hall.id, Hall.name)
        .order_by(Hall.name)
    ).all()
    return {hall_label(name, site.name): count for name, count in rows}


def close_site(site, *, actor=None, now=None):
    """Close a site: refused while bookings lie ahead at its halls, or if it is the last open."""
    if not site.active:
        return
    ahead = upcoming_bookings(site, now=now)
    if ahead:
        raise SiteError(
            _l(
                "%(site)s has %(count)d upcoming bookings (%(halls)s). "
                "Move or cancel them before closing the site.",
                site=site.name,
                count=sum(ahead.values()),
                halls=", ".join(ahead),
            )
        )
    others = db.session.scalar(
        select(func.count(Location.id)).where(Location.active, Location.id != site.id)
    )
    if not others:
        raise SiteError(
            _l("This is the club's only open site. Add or reopen another site before closing it.")
        )
    site.active = False
    audit.record("site.closed", detail=f"site:{site.public_id}", actor=as_actor(actor))


def reopen_site(site, *, actor=None):
    """Open a closed site again: its halls can be booked again as they were."""
    if site.active:
        return
    site.active = True
    audit.record("site.reopened", detail=f"site:{site.public_id}", actor=as_actor(actor))


def _apply(site, raw):
    """Validate and set name, address and opening hours; the name is unique in the club."""
    name = _clean(raw.get("name"), NAME_MAX, "name")
    if not name:
        raise SiteError(_l("Please fill this in."), "name")
    same = select(Location.name)
    if site.id is not None:
        same = same.where(Location.id != site.id)
    if any(other.casefold() == name.casefold() for other in db.session.scalars(same)):
        raise SiteError(_l("There is already a site with this name."), "name")
    site.name = name
    site.address = _clean(raw.get("address"), ADDRESS_MAX, "address")
    site.opening_hours = _clean(raw.get("opening_hours"), HOURS_MAX, "opening_hours")


def _clean(text, max_len, field):
    try:
        return " ".join(clean_text(text or "", max_len=max_len).split())
    except ValidationError as exc:
        raise SiteError(exc.message, field) from None
