"""The desk (reception): sell or renew a plan, take cash or a card, pause a membership.

Reached from the check-in answer and the member's page. Shows the plan, the price and paid or
unpaid, never the fees contact fields; each action is one write and goes back to the page.
"""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from clubsite import unit_of_work
from clubsite.domain import Actor, NotFound
from clubsite.fees import desk, service
from clubsite.fees.desk_forms import (
    DESK_METHOD_LABELS,
    PAUSE_REASON_LABELS,
    DeskPauseForm,
    DeskPayForm,
    DeskRenewForm,
    DeskSellForm,
)
from clubsite.fees.forms import PERIOD_LABELS
from clubsite.i18n import format_money, today_local
from clubsite.members.service import member_by_public_id
from clubsite.web import office
from clubsite.web.forms import flash_errors
from clubsite.web.guard import requires
from clubsite.web.params import parse_int

DESK = "desk"


def _member(public_id):
    try:
        return desk.member_for_desk(current_user, member_by_public_id(public_id))
    except NotFound:
        abort(404)


def _plan_label(plan):
    period = str(PERIOD_LABELS[plan.period]).lower()
    return f"{plan.name} · {format_money(plan.price_cents)} / {period}"


def _sell_form():
    form = DeskSellForm()
    form.plan.choices = [
        SelectChoice(p.public_id, _plan_label(p)) for p in service.plans(active_only=True)
    ]
    return form


@office.route("/desk/<public_id>")
@requires(DESK)
def desk_member(public_id):
    """The member's plan, price and paid/unpaid, with the desk's actions."""
    member = _member(public_id)
    today = today_local()
    view = desk.desk_view(current_user, member, actor=Actor.staff(current_user), today=today)
    pay = DeskPayForm(formdata=None, expected=str(view.open_cents))
    pause = DeskPauseForm(formdata=None, starts_on=today, ends_on=today + timedelta(days=13))
    return render_template(
        "backoffice/fees/desk.html",
        member=member,
        view=view,
        sell=_sell_form(),
        pay=pay,
        renew=DeskRenewForm(formdata=None),
        pause=pause,
        periods=PERIOD_LABELS,
        methods=DESK_METHOD_LABELS,
        reasons=PAUSE_REASON_LABELS,
        today=today,
    )


def _back(form, public_id, message):
    """Flash the outcome (or the form's errors) and show the desk page again."""
    if message:
        flash(message, "success")
    flash_errors(form)
    return redirect(url_for("backoffice.desk_member", public_id=public_id))


@office.route("/desk/<public_id>/sell", methods=["POST"])
@requires(DESK)
def desk_sell(public_id):
    """Sell a plan from today; cash or card settles its first invoice at once."""
    member = _member(public_id)
    form = _sell_form()
    message = None
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            plan = service.plan_by_public_id(form.plan.data)
            desk.sell_at_desk(member, plan, form.method.data, actor=Actor.staff(current_user))
        if outcome.ok:
            message = _("The membership is sold.")
    return _back(form, public_id, message)


@office.route("/desk/<public_id>/pay", methods=["POST"])
@requires(DESK)
def desk_pay(public_id):
    """Take cash or a card for everything due (the sum the page showed)."""
    member = _member(public_id)
    form = DeskPayForm()
    message = None
    if form.validate_on_submit():
        expected = parse_int(form.expected.data, minimum=0) or 0
        with unit_of_work.write(form) as outcome:
            desk.take_payment(member, form.method.data, expected, actor=Actor.staff(current_user))
        if outcome.ok:
            message = _("The payment is recorded.")
    return _back(form, public_id, message)


@office.route("/desk/<public_id>/renew", methods=["POST"])
@requires(DESK)
def desk_renew(public_id):
    """Invoice the membership's next period now, paid by cash, card or later."""
    member = _member(public_id)
    form = DeskRenewForm()
    message = None
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            membership = service.membership_by_public_id(form.membership.data)
            desk.renew_at_desk(
                membership, member, form.method.data, actor=Actor.staff(current_user)
            )
        if outcome.ok:
            message = _("The membership is renewed.")
    return _back(form, public_id, message)


@office.route("/desk/<public_id>/pause", methods=["POST"])
@requires(DESK)
def desk_pause(public_id):
    """Pause a membership; its valid-until date moves on by the pause."""
    member = _member(public_id)
    form = DeskPauseForm()
    message = None
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            membership = service.membership_by_public_id(form.membership.data)
            desk.pause_membership(
                membership,
                member,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                reason=form.reason.data,
                actor=Actor.staff(current_user),
            )
        if outcome.ok:
            message = _("The membership is paused.")
    return _back(form, public_id, message)
