"""Confirming a new email address (/mani-dati/jauna-adrese/<token>), from the link mailed to it."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField

from clubsite import unit_of_work
from clubsite.extensions import limiter
from clubsite.privacy import consent
from clubsite.public import address_change, bp, limits
from clubsite.public.member_session import open_member_session
from clubsite.public.signup_routes import link_invalid
from clubsite.public.tokens import TokenError


class AddressConfirmForm(FlaskForm):
    """The click that confirms the address. Which button was pressed ("news": "keep" or
    "stop") is read from the request; news_hash is the consent wording the page showed."""

    news_hash = HiddenField()


def _render(member, form, status=200):
    wording = consent.wording_text("newsletter", member.language)
    form.news_hash.data = consent.wording_hash(wording)
    page = render_template(
        "public/address_confirm.html",
        form=form,
        asks_about_news=address_change.asks_about_news(member),
        may_stop_news=address_change.may_stop_news(member),
        wording=wording,
    )
    return page, status


@bp.route("/mani-dati/jauna-adrese/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, key_func=limits.link_key, methods=["POST"])
def address_confirm(token):
    """A page with the button (mail scanners change nothing); the click stores the address."""
    form = AddressConfirmForm()
    try:
        if request.method == "GET" or not form.validate_on_submit():
            member = address_change.open_link(token)
            return _render(member, form, 200 if request.method == "GET" else 400)
        news = request.form.get("news") or None
        with unit_of_work.write(form) as outcome:
            member = address_change.confirm_change(token, news=news, shown_hash=form.news_hash.data)
            open_member_session(member)  # the other sessions ended; this browser's is new
        if not outcome.ok:
            return _render(address_change.open_link(token), form, 400)
    except TokenError as exc:
        return link_invalid(exc.reason)
    flash(
        _("Your new email address is saved. Links in our earlier mails no longer work."), "success"
    )
    return redirect(url_for("public.my_data"))
