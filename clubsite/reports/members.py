"""Members report: who joined and who left each month, by purpose and site; members by plan.

Joined: enrolments in a purpose begun that month (the club's own records of the people it still
holds). Left: a purpose ended (the audit log's `member.purpose_ended`, which outlives the member)
or a person erased altogether (the erasure journal, merges not counted). The site of people who
left is not kept, so the left table is for the whole club. Current members by plan: members with
a membership valid today. Every figure is counted by the database (joined: one index range
count per purpose and month); no member row is loaded.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select

from clubsite.extensions import db
from clubsite.fees.models import Membership, Plan
from clubsite.i18n import today_local
from clubsite.privacy.audit import AuditEvent
from clubsite.privacy.models import ErasureJournal, Member, MemberPurpose
from clubsite.privacy.purposes import PURPOSES
from clubsite.reports import cells
from clubsite.reports.buckets import counts_per_month, local_bucket, month_start_utc, next_month
from clubsite.reports.cells import Section
from clubsite.reports.labels import WHOLE_CLUB, month_label, purpose_label, site_label

LEFT_ACTION = "member.purpose_ended"
NOT_LEAVING = ("merge",)  # a merged member lives on in the member it was merged into


def _purposes(filters):
    return [filters.purpose] if filters.purpose else list(PURPOSES)


def _in_range(column, filters):
    return (
        column >= month_start_utc(filters.first),
        column < month_start_utc(next_month(filters.last)),
    )


def _by_month(rows, bucket):
    """{(local month, key): count} from (bucket key, key, count) rows."""
    counts = defaultdict(int)
    for bucket_key, key, number in rows:
        counts[(bucket.local(bucket_key), key)] += number
    return counts


def joined(filters):
    """Enrolments begun per month, one column per purpose, at the chosen site."""
    purposes = _purposes(filters)
    at_site = []
    if filters.site:
        at_site.append(
            MemberPurpose.member_id.in_(
                select(Member.id).where(Member.location_id == filters.site.id)
            )
        )
    cases = {p: [MemberPurpose.purpose == p] for p in purposes}
    counts = counts_per_month(MemberPurpose.started_at, filters.months, cases, *at_site)
    return Section(
        key="joined",
        title=_l("Joined per month"),
        note=_l(
            "Enrolments begun in each purpose. People whose data has since been erased are not "
            "counted: the club keeps nothing about them."
        ),
        row_heading=_l("Month"),
        columns=[purpose_label(p) for p in purposes],
        rows=[
            (month_label(m), [cells.count(counts[(m, p)]) for p in purposes])
            for m in filters.months
        ],
        group=site_label(filters.site),
    )


def left(filters):
    """Purposes ended per month (one column each) and people erased altogether."""
    bucket = local_bucket(AuditEvent.at, "month")
    rows = db.session.execute(
        select(bucket.expr, AuditEvent.detail, func.count())
        .where(AuditEvent.action == LEFT_ACTION, *_in_range(AuditEvent.at, filters))
        .group_by(bucket.expr, AuditEvent.detail)
    ).all()
    # detail is "<purpose>:<reason>"; the purpose is all this report needs
    counts = _by_month(((b, detail.split(":", 1)[0], n) for b, detail, n in rows), bucket)
    purposes = _purposes(filters)
    columns = [purpose_label(p) for p in purposes]
    erased = {}
    if not filters.purpose:
        erased = _erased_by_month(filters)
        columns.append(_l("Left the club (erased)"))
    table = []
    for month in filters.months:
        row = [cells.count(counts[(month, p)]) for p in purposes]
        if not filters.purpose:
            row.append(cells.count(erased.get(month, 0)))
        table.append((month_label(month), row))
    return Section(
        key="left",
        title=_l("Left per month"),
        note=_l(
            "A purpose ended (consent withdrawn, retention period over, or on request), and "
            "people whose data was erased altogether. The site of people who left is not kept, "
            "so this table is for the whole club."
        ),
        row_heading=_l("Month"),
        columns=columns,
        rows=table,
        group=WHOLE_CLUB,
    )


def _erased_by_month(filters):
    bucket = local_bucket(ErasureJournal.erased_at, "month")
    rows = db.session.execute(
        select(bucket.expr, func.count())
        .where(
            ErasureJournal.reason.not_in(NOT_LEAVING), *_in_range(ErasureJournal.erased_at, filters)
        )
        .group_by(bucket.expr)
    ).all()
    counts = defaultdict(int)
    for key, number in rows:
        counts[bucket.local(key)] += number
    return counts


def by_plan(filters, today=None):
    """Members with a membership valid today, per plan, at the chosen site."""
    today = today or today_local()
    # Counted per plan id first: along the index (plan, member, dates) the distinct members of
    # each plan come in order, so nothing is sorted; the few plan names are joined afterwards.
    per_plan = (
        select(Membership.plan_id, func.count(distinct(Membership.member_id)).label("members"))
        .where(Membership.starts_on <= today, Membership.ends_on >= today)
        .group_by(Membership.plan_id)
    )
    if filters.site:
        per_plan = per_plan.where(
            Membership.member_id.in_(select(Member.id).where(Member.location_id == filters.site.id))
        )
    per_plan = per_plan.subquery()
    rows = db.session.execute(
        select(Plan.name, per_plan.c.members)
        .join(per_plan, per_plan.c.plan_id == Plan.id)
        .order_by(Plan.name)
    ).all()
    return Section(
        key="plans",
        title=_l("Current members by plan"),
        note=_l("Members whose membership is valid today."),
        row_heading=_l("Plan"),
        columns=[_l("Members")],
        rows=[(name, [cells.count(number)]) for name, number in rows],
        group=site_label(filters.site),
    )


SECTIONS = {"joined": joined, "left": left, "plans": by_plan}
