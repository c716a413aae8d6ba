"""Segments: a campaign may go to part of its lawful audience only, by site, plan and language.

Who MAY receive a newsletter is decided in clubsite.newsletter.audience and nowhere else. A
segment is nothing but extra WHERE conditions on the audience's own candidate query (the
`narrow` argument of audience.fetch_candidates): a condition can only drop rows, so a segment
leaves people out and can never bring anyone in, whatever its values. Each part is optional
(None: any); a member matches when every set part matches:
- site: the member's site (Member.location_id);
- plan: a membership on the plan valid on the day (started, and not past its valid-until or
  the date staff agreed), read from the fees tables with a query (as the members report does);
- language: the member's language (Member.language).
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from clubsite.domain import DomainError
from clubsite.extensions import db
from clubsite.fees.models import Membership, Plan
from clubsite.i18n import CLUB_TZ, today_local
from clubsite.locations import Location
from clubsite.newsletter.models import LANGUAGES
from clubsite.privacy.models import Member

LANGUAGE_NAMES = {"lv": _l("Latvian"), "en": _l("English")}


@dataclass(frozen=True)
class Segment:
    """Which part of the lawful audience a campaign is for (None everywhere: all of it)."""

    location_id: int | None = None
    plan_id: int | None = None
    language: str | None = None

    @property
    def everyone(self):
        """True when nothing narrows the audience."""
        return self.location_id is None and self.plan_id is None and self.language is None


def of(newsletter):
    """The campaign's segment."""
    return Segment(
        newsletter.segment_location_id, newsletter.segment_plan_id, newsletter.segment_language
    )


def local_day(now):
    """The club's calendar day at `now` (Europe/Riga); today when now is None."""
    if now is None:
        return today_local()
    return now.astimezone(CLUB_TZ).date() if isinstance(now, datetime) else now


def conditions(segment, now=None):
    """The segment as SQL conditions on Member (an empty list for the whole audience)."""
    narrow = []
    if segment.location_id is not None:
        narrow.append(Member.location_id == segment.location_id)
    if segment.language is not None:
        narrow.append(Member.language == segment.language)
    if segment.plan_id is not None:
        day = local_day(now)
        # IN, not a correlated EXISTS: SQLite would search the plan's memberships per member.
        on_plan = select(Membership.member_id).where(
            Membership.plan_id == segment.plan_id,
            Membership.starts_on <= day,
            or_(Membership.ends_on >= day, Membership.agreed_until >= day),
        )
        narrow.append(Member.id.in_(on_plan))
    return narrow


def clean(raw):
    """The segment typed on the compose form (ids as text, '' for any); unknown values refused."""
    errors = {}
    location_id = _known_id(raw.get("segment_site"), Location)
    if location_id is False:
        errors["segment_site"] = _l("Choose a site from the list.")
    plan_id = _known_id(raw.get("segment_plan"), Plan)
    if plan_id is False:
        errors["segment_plan"] = _l("Choose a plan from the list.")
    language = raw.get("segment_language") or None
    if language is not None and language not in LANGUAGES:
        errors["segment_language"] = _l("Choose a language from the list.")
    if errors:
        raise DomainError(errors=errors)
    return Segment(location_id or None, plan_id or None, language)


def _known_id(value, model):
    """The id of an existing row typed as text; None for "any"; False when there is no such row."""
    if value in (None, "", "0"):
        return None
    try:
        key = int(value)
    except (TypeError, ValueError):
        return False
    return key if db.session.get(model, key) is not None else False


def site_choices():
    """(id, name) of the open sites, for the compose form."""
    rows = db.session.execute(
        select(Location.id, Location.name).where(Location.active).order_by(Location.name)
    )
    return [(str(key), name) for key, name in rows]


def plan_choices():
    """(id, name) of the plans on offer, for the compose form."""
    rows = db.session.execute(select(Plan.id, Plan.name).where(Plan.active).order_by(Plan.name))
    return [(str(key), name) for key, name in rows]


def describe(segment):
    """(label, value) pairs saying whom the segment keeps, for staff pages (no one's data)."""
    if segment.everyone:
        return []
    parts = []
    if segment.location_id is not None:
        location = db.session.get(Location, segment.location_id)
        parts.append((_l("Site"), location.name if location else "?"))
    if segment.plan_id is not None:
        plan = db.session.get(Plan, segment.plan_id)
        parts.append((_l("Plan"), plan.name if plan else "?"))
    if segment.language is not None:
        parts.append((_l("Language"), LANGUAGE_NAMES[segment.language]))
    return parts
