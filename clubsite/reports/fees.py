"""Fees report: invoiced, paid and overdue per month; direct debit, transfer and desk payments.

Invoiced: invoices issued that month (void ones left out). Paid: payments received that month
(a direct debit the bank sent back counts no more). Overdue: invoices overdue today, by the month
they fell due, under the overdue list's own rule (clubsite.fees.invoices.overdue_query). An
amount made up of fewer than 5 invoices or payments is withheld, like a count under 5.
"""

from collections import defaultdict

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from clubsite.extensions import db
from clubsite.fees.invoices import overdue_query
from clubsite.fees.models import COLLECTION_METHOD, Invoice, Payment
from clubsite.i18n import today_local
from clubsite.reports import cells
from clubsite.reports.buckets import month_first_day, month_of, next_month
from clubsite.reports.cells import Section
from clubsite.reports.labels import month_label

# How a payment reached the club: the bank collected it, the member paid by transfer, or paid
# at the desk (cash or card).
CHANNELS = {
    "direct_debit": (COLLECTION_METHOD,),
    "transfer": ("transfer",),
    "desk": ("cash", "card"),
}
CHANNEL_LABELS = {
    "direct_debit": _l("Direct debit"),
    "transfer": _l("Bank transfer"),
    "desk": _l("At the desk"),
}


def _days(filters):
    return month_first_day(filters.first), month_first_day(next_month(filters.last))


def _per_month(rows):
    """{month: (count, sum)} from (day, count, sum) rows grouped by a DATE column itself.

    Grouped by the day, not by its month text: along the date's index (see the models) the
    database then streams the groups, where a GROUP BY of an expression sorts every row first.
    """
    out = defaultdict(lambda: (0, 0))
    for day, n, total in rows:
        month = month_of(day)
        old_n, old_total = out[month]
        out[month] = (old_n + n, old_total + (total or 0))
    return dict(out)


def _invoiced(filters):
    first, end = _days(filters)
    rows = db.session.execute(
        select(Invoice.issued_on, func.count(), func.sum(Invoice.amount_cents))
        .where(Invoice.issued_on >= first, Invoice.issued_on < end, Invoice.status != "void")
        .group_by(Invoice.issued_on)
    ).all()
    return _per_month(rows)


def _paid_by_method(filters):
    """(month, method, count, sum) of payments; once per request (both tables use it)."""
    memo = g.setdefault("reports_payments", {})
    if filters not in memo:
        memo[filters] = _payments(filters)
    return memo[filters]


def _payments(filters):
    first, end = _days(filters)
    rows = db.session.execute(
        select(Payment.paid_on, Payment.method, func.count(), func.sum(Payment.amount_cents))
        .where(Payment.paid_on >= first, Payment.paid_on < end, Payment.returned_on.is_(None))
        .group_by(Payment.paid_on, Payment.method)
    ).all()
    summed = defaultdict(lambda: [0, 0])
    for day, method, n, total in rows:
        key = summed[(month_of(day), method)]
        key[0] += n
        key[1] += total or 0
    return [(month, method, n, total) for (month, method), (n, total) in summed.items()]


def _overdue(filters, today):
    first, end = _days(filters)
    overdue = overdue_query(today).order_by(None).subquery()
    rows = db.session.execute(
        select(
            overdue.c.due_on,
            func.count(),
            func.sum(overdue.c.amount_cents - overdue.c.paid_cents),
        )
        .where(overdue.c.due_on >= first, overdue.c.due_on < end)
        .group_by(overdue.c.due_on)
    ).all()
    return _per_month(rows)


def totals(filters, today=None):
    """Invoiced, paid and overdue per month: counts and sums."""
    today = today or today_local()
    invoiced = _invoiced(filters)
    paid = defaultdict(lambda: [0, 0])
    for key, _method, n, total in _paid_by_method(filters):
        paid[key][0] += n
        paid[key][1] += total or 0
    overdue = _overdue(filters, today)
    rows = []
    for month in filters.months:
        i_n, i_sum = invoiced.get(month, (0, 0))
        p_n, p_sum = paid.get(month, (0, 0))
        o_n, o_sum = overdue.get(month, (0, 0))
        rows.append(
            (
                month_label(month),
                [
                    cells.count(i_n),
                    cells.money(i_sum, i_n),
                    cells.count(p_n),
                    cells.money(p_sum, p_n),
                    cells.count(o_n),
                    cells.money(o_sum, o_n),
                ],
            )
        )
    return Section(
        key="totals",
        title=_l("Invoiced, paid and overdue per month"),
        note=_l(
            "Invoices by the month they were issued, payments by the month they arrived, and "
            "invoices overdue today by the month they fell due. Amounts in euros."
        ),
        row_heading=_l("Month"),
        columns=[
            _l("Invoices"),
            _l("Invoiced"),
            _l("Payments"),
            _l("Paid"),
            _l("Overdue invoices"),
            _l("Overdue"),
        ],
        rows=rows,
        plotted=[1, 3, 5],
    )


def channels(filters):
    """Payments per month by how they came: direct debit, bank transfer, at the desk."""
    counts = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for key, method, n, total in _paid_by_method(filters):
        channel = next((c for c, methods in CHANNELS.items() if method in methods), None)
        if channel:
            counts[key][channel][0] += n
            counts[key][channel][1] += total or 0
    rows = []
    for month in filters.months:
        row = []
        for channel in CHANNELS:
            n, total = counts[month][channel]
            row += [cells.count(n), cells.money(total, n)]
        rows.append((month_label(month), row))
    columns = []
    for channel in CHANNELS:
        label = CHANNEL_LABELS[channel]
        columns += [label, _l("%(channel)s, euros", channel=label)]
    return Section(
        key="channels",
        title=_l("Direct debit, bank transfer and desk"),
        note=_l("Payments received each month, by how they reached the club."),
        row_heading=_l("Month"),
        columns=columns,
        rows=rows,
        chart="stacked",
        plotted=[0, 2, 4],
    )


SECTIONS = {"totals": totals, "channels": channels}
