"""Rate limits for the public forms: per client, and per typed address (as a keyed hash)."""

import hashlib
import hmac

from flask import current_app, request

from clubsite.extensions import client_address

SIGNUP_PER_CLIENT = "20 per hour"
SIGNUP_PER_ADDRESS = "5 per hour"
LINK_PER_CLIENT = "10 per hour"
LINK_PER_ADDRESS = "5 per hour"
CONFIRM_PER_CLIENT = "30 per hour"
CONFIRM_PER_LINK = "10 per hour"


BOOK_PER_CLIENT = "10 per hour"
BOOK_PER_CONTACT = "5 per hour"


def _typed_key(prefix, typed):
    """A typed address or phone as a keyed hash, so the limiter's storage holds none; the
    client when nothing was typed."""
    typed = (typed or "").strip().lower()
    if not typed:
        return "client:" + client_address()
    secret = current_app.config["SECRET_KEY"].encode()
    return prefix + hmac.new(secret, typed[:300].encode(), hashlib.sha256).hexdigest()[:32]


def address_key():
    """The typed email (or phone) of a sign-up or link request."""
    return _typed_key("addr:", request.form.get("email") or request.form.get("phone"))


def contact_key():
    """The phone or email typed into an online booking's one contact field."""
    return _typed_key("contact:", request.form.get("contact"))


def choosing_only():
    """The no-script first step only redraws the form: it stores and sends nothing."""
    return request.form.get("step") == "choose"


def link_key():
    """One emailed link (so one member's address), as a hash: guessing at it is cut short."""
    token = (request.view_args or {}).get("token", "")
    return "link:" + hashlib.sha256(token[:500].encode()).hexdigest()[:32]
