"""The unsubscribe link in every newsletter: GET shows one button, POST unsubscribes.

A GET never changes anything, so mail filters that open links cannot unsubscribe anyone. The
POST is what mail programs send for one-click unsubscribe (RFC 8058) without any cookie or CSRF
token: it is exempt from CSRF and is authorised by the signed token in the URL instead.

An expired link changes nothing; its page offers a fresh link by mail instead
(/jaunumi/atteikties: type the address; the same answer for every address).
"""

import hashlib
import hmac

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from clubsite import unit_of_work
from clubsite.extensions import client_address, csrf, limiter
from clubsite.newsletter import public_bp
from clubsite.newsletter.unsubscribe import link_for_token, request_link, unsubscribe_member

REQUESTS_PER_CLIENT = "10 per hour"
REQUESTS_PER_ADDRESS = "3 per hour"


class LinkRequestForm(FlaskForm):
    """The address to send a fresh unsubscribe link to."""

    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(message=_l("Please fill this in.")),
            Length(max=254, message=_l("Enter a valid email address.")),
        ],
        render_kw={"autocomplete": "email"},
    )


def _address_key():
    """The typed address as a keyed hash, so the limiter's storage holds no address."""
    typed = (request.form.get("email") or "").strip().lower()
    if not typed:
        return "client:" + client_address()
    secret = current_app.config["SECRET_KEY"].encode()
    return "unsub:" + hmac.new(secret, typed[:300].encode(), hashlib.sha256).hexdigest()[:32]


def _render(template, language=None, status=200, **context):
    """Render in the chosen language, else in the language the mail was written in."""
    language = session.get("lang") or language
    if language:
        with force_locale(language):
            return render_template(template, **context), status
    return render_template(template, **context), status


def _expired(link):
    return _render(
        "newsletter/unsubscribe_expired.html", link.language, 410, form=LinkRequestForm()
    )


@public_bp.route("/u/<token>", methods=["GET"])
def unsubscribe_page(token):
    """A page with a single button; opening the link alone changes nothing."""
    link = link_for_token(token)
    if link is None:
        return _render("newsletter/unsubscribe_invalid.html", None, 404)
    if link.expired:
        return _expired(link)
    return _render("newsletter/unsubscribe.html", link.language, token=token)


@public_bp.route("/u/<token>", methods=["POST"])
@csrf.exempt
def unsubscribe_now(token):
    """Unsubscribe at once (the one-click POST, or the button on the page)."""
    link = link_for_token(token)
    if link is None:
        return _render("newsletter/unsubscribe_invalid.html", None, 404)
    if link.expired:
        return _expired(link)
    with unit_of_work.write():
        unsubscribe_member(link.member, delivery=link.delivery)
    return _render("newsletter/unsubscribed.html", link.language)


@public_bp.route("/jaunumi/atteikties", methods=["GET", "POST"])
@limiter.limit(REQUESTS_PER_CLIENT, methods=["POST"])
@limiter.limit(REQUESTS_PER_ADDRESS, key_func=_address_key, methods=["POST"])
def unsubscribe_request():
    """Ask for a fresh unsubscribe link by typing the address it should go to."""
    form = LinkRequestForm()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            request_link(form.email.data)  # known and unknown addresses get the same answer
        if outcome.ok:
            return redirect(url_for("newsletter_public.unsubscribe_link_sent"))
    return render_template("newsletter/unsubscribe_request.html", form=form)


@public_bp.route("/jaunumi/atteikties/nosutits")
def unsubscribe_link_sent():
    """ "If this address receives our news, a link is on its way" - for every address."""
    return render_template("newsletter/unsubscribe_link_sent.html")
