"""Newsletter report: per campaign its recipients, sent, failed and unsubscribed after it; opt-ins,
withdrawals and objections per month.

Campaigns are those sent (or being sent) in the chosen months. The ledger's events count even
after their member was erased (they stay, detached, as proof), so the monthly figures are
complete. No open or click tracking exists, so none is reported.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from clubsite.extensions import db
from clubsite.i18n import format_date
from clubsite.newsletter.models import Delivery, Newsletter
from clubsite.privacy.models import ConsentEvent
from clubsite.reports import cells
from clubsite.reports.buckets import counts_per_month, month_start_utc, next_month
from clubsite.reports.cells import Section
from clubsite.reports.labels import month_label

PURPOSE = "newsletter"
LEDGER_KINDS = {
    "confirmed": _l("Opt-ins (confirmed)"),
    "withdrawn": _l("Consent withdrawn"),
    "objected": _l("Objections"),
}


def _range(column, filters):
    return (
        column >= month_start_utc(filters.first),
        column < month_start_utc(next_month(filters.last)),
    )


def campaigns(filters):
    """One row per campaign queued in the months: recipients, sent, failed, unsubscribed."""
    chosen = select(Newsletter.id).where(
        Newsletter.status != "draft", *_range(Newsletter.queued_at, filters)
    )
    sent = func.sum(case((Delivery.status == "sent", 1), else_=0))
    failed = func.sum(case((Delivery.status == "failed", 1), else_=0))
    stats = (
        select(
            Delivery.newsletter_id.label("newsletter_id"),
            sent.label("sent"),
            failed.label("failed"),
            func.count(Delivery.unsubscribed_at).label("unsubscribed"),
        )
        .where(Delivery.newsletter_id.in_(chosen))
        .group_by(Delivery.newsletter_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Newsletter.subject_lv,
            Newsletter.subject_en,
            Newsletter.queued_at,
            Newsletter.recipients_count,
            stats.c.sent,
            stats.c.failed,
            stats.c.unsubscribed,
        )
        .outerjoin(stats, stats.c.newsletter_id == Newsletter.id)
        .where(Newsletter.id.in_(chosen))
        .order_by(Newsletter.queued_at, Newsletter.id)
    ).all()
    table = [
        (
            f"{format_date(queued)} {subject_lv or subject_en}",
            [
                cells.count(recipients),
                cells.count(n_sent),
                cells.count(n_failed),
                cells.count(n_unsubscribed),
            ],
        )
        for subject_lv, subject_en, queued, recipients, n_sent, n_failed, n_unsubscribed in rows
    ]
    return Section(
        key="campaigns",
        title=_l("Campaigns"),
        note=_l(
            "Each campaign sent in these months: the recipients when it was sent, the mails "
            "sent and failed, and how many recipients unsubscribed with its link."
        ),
        row_heading=_l("Campaign"),
        columns=[_l("Recipients"), _l("Sent"), _l("Failed"), _l("Unsubscribed after it")],
        rows=table,
    )


def consents(filters):
    """Opt-ins, withdrawals and objections per month, from the consent ledger."""
    cases = {
        kind: [ConsentEvent.purpose == PURPOSE, ConsentEvent.kind == kind] for kind in LEDGER_KINDS
    }
    counts = counts_per_month(ConsentEvent.at, filters.months, cases)
    return Section(
        key="consents",
        title=_l("Opt-ins and withdrawals per month"),
        note=_l(
            "Confirmed consents (double opt-in), withdrawn consents and objections to news "
            "about services members already use, from the consent records."
        ),
        row_heading=_l("Month"),
        columns=list(LEDGER_KINDS.values()),
        rows=[
            (month_label(m), [cells.count(counts[(m, kind)]) for kind in LEDGER_KINDS])
            for m in filters.months
        ],
    )


SECTIONS = {"campaigns": campaigns, "consents": consents}
