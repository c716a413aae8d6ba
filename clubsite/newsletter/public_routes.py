"""The unsubscribe link in every newsletter: GET shows one button, POST unsubscribes.

A GET never changes anything, so mail filters that open links cannot unsubscribe anyone. The
POST is what mail programs send for one-click unsubscribe (RFC 8058) without any cookie or CSRF
token: it is exempt from CSRF and is authorised by the signed token in the URL instead.
"""

from flask import render_template, session
from flask_babel import force_locale

from clubsite import unit_of_work
from clubsite.extensions import csrf
from clubsite.newsletter import public_bp
from clubsite.newsletter.unsubscribe import delivery_for_token, unsubscribe


def _render(template, delivery, status=200, **context):
    """Render in the chosen language, else in the language the mail was written in."""
    language = session.get("lang") or (delivery.language if delivery else None)
    if language:
        with force_locale(language):
            return render_template(template, **context), status
    return render_template(template, **context), status


@public_bp.route("/u/<token>", methods=["GET"])
def unsubscribe_page(token):
    """A page with a single button; opening the link alone changes nothing."""
    delivery = delivery_for_token(token)
    if delivery is None:
        return _render("newsletter/unsubscribe_invalid.html", None, 404)
    return _render("newsletter/unsubscribe.html", delivery, token=token)


@public_bp.route("/u/<token>", methods=["POST"])
@csrf.exempt
def unsubscribe_now(token):
    """Unsubscribe at once (the one-click POST, or the button on the page)."""
    delivery = delivery_for_token(token)
    if delivery is None:
        return _render("newsletter/unsubscribe_invalid.html", None, 404)
    with unit_of_work.write():
        unsubscribe(delivery)
    return _render("newsletter/unsubscribed.html", delivery)
