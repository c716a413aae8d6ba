"""The club's newsletter header and footer: written once, put around every campaign.

Markdown per language, sanitised exactly like campaign bodies (clubsite.newsletter.content: raw
HTML off, then nh3), so a header can hold the club's name, a link to its site or opening hours
but never a script, a tracking image or a style. One row in the database (id 1), changed on the
settings page by marketing or the admin. A campaign keeps a copy of the frame from the moment
it goes out (Newsletter.frame), so every recipient of one campaign gets the same header and
footer, and its page shows what was sent even after the frame changed; a draft shows today's.
"""

import json

from flask_babel import lazy_gettext as _l

from clubsite.database import utcnow
from clubsite.domain import DomainError
from clubsite.extensions import db
from clubsite.newsletter import content
from clubsite.newsletter.models import LANGUAGES, NewsletterFrame

FRAME_ID = 1
PART_MAX = 5_000
PARTS = tuple(f"{part}_{lang}" for part in ("header", "footer") for lang in LANGUAGES)


def current():
    """Today's frame as a dict of its parts ('' where nothing is written)."""
    row = db.session.get(NewsletterFrame, FRAME_ID)
    return {name: getattr(row, name) if row is not None else "" for name in PARTS}


def clean(raw):
    """The typed parts, cleaned like bodies; too long a part is refused on its field."""
    values, errors = {}, {}
    for name in PARTS:
        text = (raw.get(name) or "").replace("\r\n", "\n").replace("\x00", "").strip()
        if len(text) > PART_MAX:
            errors[name] = _l("Use at most %(max)d characters.", max=PART_MAX)
        values[name] = text
    if errors:
        raise DomainError(errors=errors)
    return values


def save(raw, *, staff):
    """Store the club's header and footer (inside the caller's write block)."""
    values = clean(raw)
    row = db.session.get(NewsletterFrame, FRAME_ID)
    if row is None:
        row = NewsletterFrame(id=FRAME_ID)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    row.updated_by_id = staff.id
    return row


def snapshot():
    """Today's frame as JSON, kept with a campaign when it goes out."""
    return json.dumps(current(), ensure_ascii=False)


def of(newsletter):
    """The frame of a campaign: the copy it went out with, else today's."""
    if newsletter.frame:
        kept = json.loads(newsletter.frame)
        return {name: kept.get(name, "") for name in PARTS}
    return current()


def rendered(frame, language):
    """Header and footer of one language as sanitised HTML and as plain text ('' if empty)."""
    header, footer = frame[f"header_{language}"], frame[f"footer_{language}"]
    return {
        "header_html": content.to_html(header) if header else "",
        "footer_html": content.to_html(footer) if footer else "",
        "header_text": content.to_text(header).strip() if header else "",
        "footer_text": content.to_text(footer).strip() if footer else "",
    }
