"""A short memory of built report sections, so a page and its charts and CSV count only once.

A report page is followed at once by a request per chart (<img>) and maybe a CSV, each needing
the same section; at 100,000 members a section is a scan of a whole table. Sections (already
withheld below 5: nothing personal) are kept per process for REPORTS_CACHE_SECONDS (default 60;
0 turns it off), per filters, language and day. The page says how fresh its figures are.
"""

import time

from flask import current_app

from clubsite.i18n import current_language, today_local

_EXTENSION = "clubsite.reports.cache"
MAX_ENTRIES = 256


def seconds():
    """How long a built section is reused (0: never)."""
    return int(current_app.config.get("REPORTS_CACHE_SECONDS", 60) or 0)


def remembered(name, filters, build):
    """build(), or what it gave for the same name and filters less than seconds() ago."""
    keep = seconds()
    if keep <= 0:
        return build()
    store = current_app.extensions.setdefault(_EXTENSION, {})
    key = (name, filters, current_language(), today_local())
    now = time.monotonic()
    hit = store.get(key)
    if hit is not None and now - hit[0] < keep:
        return hit[1]
    value = build()
    if len(store) >= MAX_ENTRIES:
        for old in [k for k, (at, _v) in list(store.items()) if now - at >= keep] or list(store):
            store.pop(old, None)
    store[key] = (now, value)
    return value


def forget():
    """Drop every remembered section (tests, and after a restore)."""
    current_app.extensions.pop(_EXTENSION, None)
