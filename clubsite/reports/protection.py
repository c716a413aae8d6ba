"""Data protection report: subject requests and their deadlines, breaches, erasures per month.

From the registers (clubsite.registers: kinds, due dates, the 72-hour clock) and the erasure
journal (public ids and reasons only). Counts only: the register pages are where an entry is read.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from clubsite.database import utcnow
from clubsite.extensions import db
from clubsite.privacy.models import ErasureJournal
from clubsite.registers.breaches import NOTIFY_WITHIN
from clubsite.registers.forms import LABELS as REGISTER_LABELS
from clubsite.registers.models import REQUEST_KINDS, Breach, SubjectRequest
from clubsite.registers.service import OPEN_REQUEST_STATUSES, SOON
from clubsite.reports import cells
from clubsite.reports.buckets import local_bucket, month_start_utc, next_month, seconds_between
from clubsite.reports.cells import Section
from clubsite.reports.labels import month_label

ERASURE_REASONS = {
    "request": _l("On request"),
    "retention": _l("Retention period over"),
    "unconfirmed": _l("Consent never confirmed"),
    "merge": _l("Merged into another member"),
}


def _range(column, filters):
    return (
        column >= month_start_utc(filters.first),
        column < month_start_utc(next_month(filters.last)),
    )


def _monthly(column, key_column, filters, *conditions):
    """{(local month, key): count} of rows in the months, grouped by a key column."""
    bucket = local_bucket(column, "month")
    rows = db.session.execute(
        select(bucket.expr, key_column, func.count())
        .where(*_range(column, filters), *conditions)
        .group_by(bucket.expr, key_column)
    ).all()
    counts = defaultdict(int)
    for key, value, number in rows:
        counts[(bucket.local(key), value)] += number
    return counts


def requests(filters):
    """Subject requests received per month, one column per kind of request."""
    counts = _monthly(SubjectRequest.received_at, SubjectRequest.kind, filters)
    return Section(
        key="requests",
        title=_l("Subject requests per month"),
        note=_l("Requests by the month they were received."),
        row_heading=_l("Month"),
        columns=[REGISTER_LABELS["kind"][kind] for kind in REQUEST_KINDS],
        rows=[
            (month_label(m), [cells.count(counts[(m, kind)]) for kind in REQUEST_KINDS])
            for m in filters.months
        ],
        chart="stacked",
    )


def deadlines(filters, now=None):
    """Open requests against their deadline now; requests closed in the months, on time or late."""
    now = now or utcnow()
    state = case(
        (SubjectRequest.due_at < now, "late"),
        (SubjectRequest.due_at <= now + SOON, "soon"),
        else_="later",
    )
    open_rows = dict(
        db.session.execute(
            select(state, func.count())
            .where(SubjectRequest.status.in_(OPEN_REQUEST_STATUSES))
            .group_by(state)
        ).all()
    )
    on_time = case((SubjectRequest.closed_at <= SubjectRequest.due_at, "on_time"), else_="late")
    closed_rows = dict(
        db.session.execute(
            select(on_time, func.count())
            .where(
                SubjectRequest.status.not_in(OPEN_REQUEST_STATUSES),
                SubjectRequest.closed_at.is_not(None),
                *_range(SubjectRequest.closed_at, filters),
            )
            .group_by(on_time)
        ).all()
    )
    rows = [
        (_l("Open, past the deadline"), open_rows.get("late", 0)),
        (_l("Open, due within 7 days"), open_rows.get("soon", 0)),
        (_l("Open, due later"), open_rows.get("later", 0)),
        (_l("Answered on time (in these months)"), closed_rows.get("on_time", 0)),
        (_l("Answered late (in these months)"), closed_rows.get("late", 0)),
    ]
    return Section(
        key="deadlines",
        title=_l("Subject request deadlines"),
        note=_l("A request is due one month after it was received (or later, if extended)."),
        row_heading=_l("Requests"),
        columns=[_l("Requests")],
        rows=[(label, [cells.count(number)]) for label, number in rows],
    )


def breaches(filters):
    """Breaches per month by detection, and whether the authority was told within 72 hours."""
    delay = seconds_between(Breach.detected_at, Breach.authority_notified_at)
    told = case(
        (Breach.authority_notified_at.is_(None), "not_told"),
        (delay <= NOTIFY_WITHIN.total_seconds(), "in_time"),
        else_="late",
    )
    counts = _monthly(Breach.detected_at, told, filters)
    kinds = {
        "in_time": _l("Authority told within 72 hours"),
        "late": _l("Authority told later"),
        "not_told": _l("Authority not told"),
    }
    return Section(
        key="breaches",
        title=_l("Breaches per month"),
        note=_l(
            "Personal data breaches by the month they were detected, and whether the Data State "
            "Inspectorate was told within 72 hours (a low-risk breach need not be reported)."
        ),
        row_heading=_l("Month"),
        columns=list(kinds.values()),
        rows=[
            (month_label(m), [cells.count(counts[(m, kind)]) for kind in kinds])
            for m in filters.months
        ],
        chart="stacked",
    )


def erasures(filters):
    """Members erased per month, by why (the erasure journal)."""
    counts = _monthly(ErasureJournal.erased_at, ErasureJournal.reason, filters)
    return Section(
        key="erasures",
        title=_l("Erasures per month"),
        note=_l("Members whose data was erased, by the reason recorded in the erasure journal."),
        row_heading=_l("Month"),
        columns=list(ERASURE_REASONS.values()),
        rows=[
            (month_label(m), [cells.count(counts[(m, reason)]) for reason in ERASURE_REASONS])
            for m in filters.months
        ],
        chart="stacked",
    )


SECTIONS = {
    "requests": requests,
    "deadlines": deadlines,
    "breaches": breaches,
    "erasures": erasures,
}
