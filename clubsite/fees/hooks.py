"""How fees take part in privacy: erasure keeps invoices, retention deletes them after the legal
period, lapses memberships nobody pays for or agreed to (so their purposes end), and holds the
fees purpose while invoices are open, the subject export lists them, and the accountant's home
panel shows what is overdue."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from clubsite.extensions import db
from clubsite.fees.invoices import buyer_details, invoices_of, overdue_summary
from clubsite.fees.lapse import lapse_memberships
from clubsite.fees.models import Invoice, Membership, Payment
from clubsite.fees.terms import memberships_of
from clubsite.i18n import to_local
from clubsite.privacy.retention import among, erasure_hook, retention_blocker, retention_task
from clubsite.privacy.subject_access import subject_access_section
from clubsite.web.panels import home_panel


@erasure_hook
def detach_invoices(member_ids):
    """Keep the members' invoices (with their own copy of the buyer) and drop the memberships."""
    db.session.execute(
        update(Invoice)
        .where(Invoice.member_id.in_(member_ids))
        .values(member_id=None, membership_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Membership)
        .where(Membership.member_id.in_(member_ids))
        .execution_options(synchronize_session=False)
    )


@retention_task("invoices")
def delete_expired_invoices(now, dry_run):
    """Delete invoices (and their payments) whose legal retention is over."""
    today = to_local(now).date()
    expired = select(Invoice.id).where(Invoice.keep_until < today)
    count = db.session.scalar(select(func.count()).select_from(expired.subquery()))
    if count and not dry_run:
        db.session.execute(delete(Payment).where(Payment.invoice_id.in_(expired)))
        db.session.execute(
            delete(Invoice)
            .where(Invoice.keep_until < today)
            .execution_options(synchronize_session=False)
        )
    return count


@retention_task("memberships", before_ending=True)
def lapse_unpaid_memberships(now, dry_run):
    """Lapse the memberships whose grace after their last paid or agreed day is over (daily)."""
    return len(lapse_memberships(to_local(now).date(), dry_run=dry_run))


@retention_blocker("fees")
def members_with_open_invoices(member_ids, now):
    """The fee purpose is not over while the member has an open invoice."""
    # One statement for all the ids (bound as one value): SQLite walks the open invoices once
    # (a few per member at most), where a chunked IN list made it walk them once per chunk.
    invoices = Invoice.__table__
    return set(
        db.session.scalars(
            select(invoices.c.member_id)
            .where(invoices.c.status == "open", among(invoices.c.member_id, member_ids))
            .distinct()
        )
    )


@subject_access_section("invoices")
def invoices_section(member):
    """The member's invoices with their payments, as the club keeps them."""
    rows = []
    for invoice in invoices_of(member):
        rows.append(
            {
                "number": invoice.number,
                "issued_on": invoice.issued_on.isoformat(),
                "period": f"{invoice.period_start.isoformat()}/{invoice.period_end.isoformat()}",
                "due_on": invoice.due_on.isoformat(),
                "description": invoice.description,
                "amount_cents": invoice.amount_cents,
                "status": invoice.status,
                "buyer": buyer_details(invoice),
                "kept_until": invoice.keep_until.isoformat(),
                "payments": [
                    {
                        "paid_on": p.paid_on.isoformat(),
                        "amount_cents": p.amount_cents,
                        "method": p.method,
                    }
                    for p in invoice.payments
                ],
            }
        )
    return rows


@subject_access_section("memberships")
def memberships_section(member):
    """The member's memberships: plan, dates and status."""
    return [
        {
            "plan": m.plan.name,
            "starts_on": m.starts_on.isoformat(),
            "valid_until": m.ends_on.isoformat(),
            "status": m.status,
        }
        for m in memberships_of(member)
    ]


@home_panel("fees", _l("Overdue invoices"), "backoffice/panels/fees_overdue.html", order=20)
def overdue_panel(user):
    """How many invoices are overdue and how much is outstanding on them."""
    count, remaining = overdue_summary()
    return {"count": count, "remaining": remaining}
