"""Direct debit in "My data": give a SEPA mandate (a confirming mail follows) or revoke it."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from clubsite import unit_of_work
from clubsite.domain import Actor
from clubsite.fees import mandates
from clubsite.fees.bank_forms import GiveMandateForm
from clubsite.public import bp, mails
from clubsite.public.member_session import member_required
from clubsite.public.my_data_routes import _render_overview
from clubsite.web.forms import EmptyForm, flash_errors


def _my_data_url(member):
    return mails.link("public.my_data", lang=member.language)


@bp.route("/mani-dati/tiesaistes-debets", methods=["POST"])
@member_required
def my_data_mandate(member):
    """Authorise the club to collect invoices by direct debit from the account given."""
    form = GiveMandateForm()
    if not form.validate_on_submit():
        return _render_overview(member, mandate=form)
    with unit_of_work.write(form) as outcome:
        mandate = mandates.give_mandate(member, form.iban.data, actor=Actor.member(member))
        mandates.queue_mandate_mail(member, mandate, my_data_url=_my_data_url(member))
    if not outcome.ok:
        return _render_overview(member, mandate=form)
    flash(_("Thank you! Your invoices will be collected by direct debit."), "success")
    return redirect(url_for("public.my_data"))


@bp.route("/mani-dati/tiesaistes-debets/atsaukt", methods=["POST"])
@member_required
def my_data_mandate_revoke(member):
    """Revoke the mandate at once; the bank account number is erased."""
    form = EmptyForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            mandate = mandates.revoke_mandate(
                member, mandates.active_mandate(member), actor=Actor.member(member)
            )
            mandates.queue_mandate_mail(
                member, mandate, my_data_url=_my_data_url(member), revoked=True
            )
        if outcome.ok:
            flash(_("Your mandate is revoked: nothing more will be collected."), "success")
        flash_errors(form)
    return redirect(url_for("public.my_data"))
