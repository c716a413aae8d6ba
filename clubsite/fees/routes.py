"""Fee administration (accountant): plans, a member's memberships and statement, invoices,
payments, the overdue list and the bookkeeper's CSV export."""

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.fees import export, invoices, mailing, service, terms
from clubsite.fees.forms import (
    METHOD_LABELS,
    PERIOD_LABELS,
    STATUS_LABELS,
    AgreeForm,
    EndMembershipForm,
    GenerateForm,
    PaymentForm,
    PlanForm,
    SellForm,
    VersionForm,
)
from clubsite.fees.money import cents_to_text
from clubsite.fees.standing import decide
from clubsite.i18n import today_local
from clubsite.members.search import search_members
from clubsite.members.service import member_by_public_id
from clubsite.privacy import access
from clubsite.privacy.models import Member
from clubsite.web import exports, office
from clubsite.web.forms import flash_errors
from clubsite.web.guard import requires
from clubsite.web.params import parse_day

LABELS = {"periods": PERIOD_LABELS, "methods": METHOD_LABELS, "statuses": STATUS_LABELS}
OVERDUE_PAGE = 200


def _actor():
    return Actor.staff(current_user)


def _month_choices(today):
    first = today.replace(day=1)
    months = [terms.add_months(first, offset) for offset in range(-2, 4)]
    return [SelectChoice(m.strftime("%Y-%m"), m.strftime("%m.%Y")) for m in months]


@office.route("/fees")
@requires("fees")
def fees_home():
    """What is due, finding a member, generating invoices and exporting for the bookkeeper."""
    query = request.args.get("q", "").strip()[:100]
    found = []
    if query:
        _kind, members = search_members(current_user, query, limit=20)
        found = access.read_names(current_user, members)
    generate = GenerateForm()
    generate.month.choices = _month_choices(today_local())
    generate.month.data = today_local().strftime("%Y-%m")
    count, remaining = invoices.overdue_summary()
    first = today_local().replace(day=1)
    return render_template(
        "backoffice/fees/home.html",
        query=query,
        found=found,
        generate=generate,
        overdue_count=count,
        overdue_remaining=remaining,
        export_from=(first - timedelta(days=1)).replace(day=1),
        export_to=first - timedelta(days=1),
    )


@office.route("/fees/plans", methods=["GET", "POST"])
@requires("fees")
def fees_plans():
    """The plans, and the form to add one."""
    form = PlanForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            service.create_plan(
                form.name.data,
                form.price.cents,
                form.period.data,
                grace_days=form.grace_days.data,
                actor=_actor(),
            )
        if outcome.ok:
            flash(_("The plan is saved."), "success")
            return redirect(url_for("backoffice.fees_plans"))
    return render_template(
        "backoffice/fees/plans.html", form=form, plans=service.plans(), labels=LABELS
    )


@office.route("/fees/plans/<public_id>", methods=["GET", "POST"])
@requires("fees")
def fees_plan_edit(public_id):
    """Change a plan's name, price, period or whether it is on sale."""
    plan = service.plan_by_public_id(public_id) or abort(404)
    form = PlanForm(obj=plan if request.method == "GET" else None)
    if request.method == "GET":
        form.price.data = cents_to_text(plan.price_cents)
        form.version.data = plan.version
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            service.update_plan(
                plan,
                name=form.name.data,
                price_cents=form.price.cents,
                period=form.period.data,
                active=form.active.data,
                grace_days=form.grace_days.data,
                expected_version=form.version.data,
                actor=_actor(),
            )
        if outcome.ok:
            flash(_("The plan is saved."), "success")
            return redirect(url_for("backoffice.fees_plans"))
    return render_template("backoffice/fees/plan_edit.html", form=form, plan=plan)


@office.route("/fees/generate", methods=["POST"])
@requires("fees")
def fees_generate():
    """Invoice every active membership for the periods that start in the chosen month."""
    form = GenerateForm()
    form.month.choices = _month_choices(today_local())
    if not form.validate_on_submit():
        flash(_("Choose a month from the list."), "error")
        return redirect(url_for("backoffice.fees_home"))
    first = datetime.strptime(form.month.data, "%Y-%m").date()
    last = terms.add_months(first, 1) - timedelta(days=1)
    with unit_of_work.write():  # each invoice is mailed, or kept at the desk (fees.mailing)
        report = mailing.issue_and_queue(first, last, actor=_actor())
    flash(
        _(
            "%(count)d invoices issued: %(mailed)d sent by email, %(desk)d to hand over at the "
            "desk.",
            count=report.issued,
            mailed=report.mailed,
            desk=report.desk,
        ),
        "success",
    )
    return redirect(url_for("backoffice.fees_home"))


@office.route("/fees/overdue")
@requires("fees")
def fees_overdue():
    """Open invoices past their due date, oldest first, with the buyer's name."""
    rows, names, members = invoices.overdue_list(OVERDUE_PAGE, actor=_actor())
    return render_template(
        "backoffice/fees/overdue.html",
        rows=rows,
        names=names,
        members=members,
        today=today_local(),
        limit=OVERDUE_PAGE,
    )


def _parse_day(text, default):
    return parse_day(text) if text else default  # bounded (clubsite.web.params): None if bad


@office.route("/fees/export", methods=["GET", "POST"])
@requires("fees")
def fees_export():
    """Download invoices or payments of a date range as CSV (default: last month's invoices)."""
    today = today_local()
    first_of_month = today.replace(day=1)
    default_to = first_of_month - timedelta(days=1)
    first = _parse_day(request.args.get("from"), default_to.replace(day=1))
    last = _parse_day(request.args.get("to"), default_to)
    if first is None or last is None or last < first or (last - first).days > 3700:
        flash(_("Choose a valid date range."), "error")
        return redirect(url_for("backoffice.fees_home"))
    kind = "payments" if request.args.get("kind") == "payments" else "invoices"
    make = export.payments_csv if kind == "payments" else export.invoices_csv
    filename = f"{kind}-{first.isoformat()}-{last.isoformat()}.csv"
    return exports.offer(  # clubsite.web.exports: an encrypted archive unless chosen otherwise
        lambda: make(first, last, actor=_actor()),  # its audit event goes at the end
        filename,
        kind=f"fees:{kind}",
        title=_("Export for the bookkeeper"),
        back_url=url_for("backoffice.fees_home"),
    )


def _member_or_404(public_id=None, member_id=None):
    """The member, if this staff member may see them; 404 otherwise (existence is not told)."""
    if member_id is not None:
        member = db.session.get(Member, member_id)
    else:
        member = member_by_public_id(public_id)
    if member is None or not access.may(current_user, "view", member):
        abort(404)
    return member


SOLD = {
    "email": _l("The membership is sold; its first invoice is being mailed to the member."),
    "desk": _l(
        "The membership is sold; the member gave no email address for fees, so its first "
        "invoice is to be handed over at the desk."
    ),
}


@office.route("/fees/members/<public_id>", methods=["GET", "POST"])
@requires("fees")
def fees_member(public_id):
    """A member's memberships and statement, whether the door lets them in, and selling a plan."""
    member = _member_or_404(public_id)
    form = SellForm()
    form.plan.choices = [SelectChoice(p.public_id, p.name) for p in service.plans(active_only=True)]
    if request.method == "GET":
        form.starts_on.data = today_local()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            plan = service.plan_by_public_id(form.plan.data)
            _membership, channel = mailing.sell_and_deliver(
                member, plan, starts_on=form.starts_on.data, actor=_actor()
            )
        if outcome.ok:
            flash(SOLD[channel], "success")
            return redirect(url_for("backoffice.fees_member", public_id=public_id))
    view = access.read_member(current_user, member, action="fees.member_read")
    invoice_rows, invoiced, paid, balance = invoices.statement(member)
    return render_template(
        "backoffice/fees/member.html",
        view=view,
        member=member,
        form=form,
        memberships=service.memberships_of(member),
        end_form=EndMembershipForm(),
        agree_form=AgreeForm(),
        invoices=invoice_rows,
        totals={"invoiced": invoiced, "paid": paid, "balance": balance},
        decision=decide(member, today_local()),
        labels=LABELS,
    )


@office.route("/fees/memberships/<public_id>/end", methods=["POST"])
@requires("fees")
def fees_membership_end(public_id):
    """Stop renewing a membership (it stays valid through the chosen date)."""
    membership = service.membership_by_public_id(public_id) or abort(404)
    member = _member_or_404(member_id=membership.member_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            service.end_membership(
                membership,
                member,
                ends_on=form.ends_on.data,
                expected_version=form.version.data,
                actor=_actor(),
            )
        if outcome.ok:
            flash(_("The membership will not be renewed."), "success")
    flash_errors(form)
    return redirect(url_for("backoffice.fees_member", public_id=member.public_id))


@office.route("/fees/memberships/<public_id>/agree", methods=["POST"])
@requires("fees")
def fees_membership_agree(public_id):
    """Record until when staff agreed the membership is valid (covered without paid invoices)."""
    membership = service.membership_by_public_id(public_id) or abort(404)
    member = _member_or_404(member_id=membership.member_id)
    form = AgreeForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            service.agree_membership(
                membership,
                member,
                agreed_until=form.agreed_until.data,
                expected_version=form.version.data,
                actor=_actor(),
            )
        if outcome.ok:
            flash(_("The agreement is saved."), "success")
    flash_errors(form)
    return redirect(url_for("backoffice.fees_member", public_id=member.public_id))


@office.route("/fees/invoices/<public_id>", methods=["GET", "POST"])
@requires("fees")
def fees_invoice(public_id):
    """One invoice: the buyer as printed, its payments, and recording a payment."""
    invoice = invoices.invoice_by_public_id(public_id) or abort(404)
    form = PaymentForm()
    if request.method == "GET":
        form.paid_on.data = today_local()
        form.amount.data = cents_to_text(invoice.remaining_cents) if invoice.remaining_cents else ""
        form.version.data = invoice.version
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            invoices.record_payment(
                invoice,
                form.amount.cents,
                form.method.data,
                paid_on=form.paid_on.data,
                actor=_actor(),
                expected_version=form.version.data,
            )
        if outcome.ok:
            flash(_("The payment is recorded."), "success")
            return redirect(url_for("backoffice.fees_invoice", public_id=public_id))
    return _render_invoice(invoice, form)


def _render_invoice(invoice, form):
    buyer, member_public_id = invoices.read_invoice(invoice, actor=_actor())
    return render_template(
        "backoffice/fees/invoice.html",
        invoice=invoice,
        buyer=buyer,
        member_public_id=member_public_id,
        form=form,
        void_form=VersionForm(version=invoice.version),
        labels=LABELS,
    )


@office.route("/fees/invoices/<public_id>/void", methods=["POST"])
@requires("fees")
def fees_invoice_void(public_id):
    """Void an open invoice without payments (its number stays used)."""
    invoice = invoices.invoice_by_public_id(public_id) or abort(404)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write(form) as outcome:
        invoices.void_invoice(invoice, expected_version=form.version.data, actor=_actor())
    if outcome.ok:
        flash(_("The invoice is void."), "success")
    flash_errors(form)
    return redirect(url_for("backoffice.fees_invoice", public_id=public_id))
