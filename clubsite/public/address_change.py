"""A new email address typed on "My data" counts only once that address has confirmed it.

Until the member opens the link mailed to the new address, everything goes on at the old one.
When the new address confirms: it is stored, every link mailed before (to either address) and
every open "My data" session ends, and the old address is told. The new address is held in
nothing but that mailed link (encrypted inside it), so an unconfirmed change leaves no trace
behind once the link expires.

A newsletter consent was given and confirmed for the old address and does not carry over:
the consent of the old address ends on the ledger (withdrawn, source "address-change", and the
address is suppressed, as every end of a consent does). The confirmation page asks whether
news should go on at the new address; yes is a consent given and, by that very click in the
new address's mail, confirmed for the new address.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

from clubsite import outbox
from clubsite.domain import Actor, DomainError
from clubsite.mail import render_mail
from clubsite.members import service
from clubsite.privacy import audit, consent
from clubsite.privacy import fields as store
from clubsite.privacy.validation import ValidationError, validate_email
from clubsite.public import mails, tokens
from clubsite.public.member_session import end_member_sessions

SOURCE = "address-change"
NEWS = "newsletter"
LIVE = ("active", "pending")
MSG_CHOOSE = _l("Choose whether our news and offers should go to your new address.")
MSG_NEWS_ONLY = _l(
    "Only our news and offers use your email address. To stop them, withdraw on the “My data” "
    "page instead."
)
MSG_WORDING_CHANGED = _l("The consent text has changed. Please read it and choose again.")


def _record(action, member):
    audit.record(
        f"self_service.{action}",
        subject=member.public_id,
        fields=["email"],
        actor=Actor.member(member),
    )


def typed_address(member, typed):
    """The new address if the member typed a valid one that differs from the stored one.

    None otherwise: an empty box or a typo is the correction's own business (it explains it).
    """
    typed = (typed or "").strip()
    if not typed:
        return None
    try:
        email = validate_email(typed)
    except ValidationError:
        return None
    current = store.read(member, ["email"]).get("email")
    return None if email == current else email


def request_change(member, new_address):
    """Mail a confirmation link to the new address (into the outbox, with the caller's write).

    Nothing else changes. The mail names no one: whoever owns the new address learns only
    that someone asked to use it with this club.
    """
    url = mails.link(
        "public.address_confirm",
        token=tokens.issue("email", member, address=new_address),
        lang=member.language,
    )
    message = render_mail(
        "address_confirm",
        to=new_address,
        language=member.language,
        url=url,
        club_name=current_app.config["CLUB_NAME"],
    )
    lifetime = tokens.LIFETIMES["email"]
    outbox.enqueue(message, kind="address_confirm", member=member, valid_for=lifetime)
    _record("address_change_requested", member)


def asks_about_news(member):
    """True if the member's news rest on a consent that was given for the old address."""
    enrolment = member.purpose(NEWS)
    if enrolment is None or enrolment.legal_basis != "consent":
        return False
    return consent.state(member, NEWS) in LIVE


def may_stop_news(member):
    """Another purpose uses the address too: confirming it and stopping the news both make
    sense (otherwise the member stops the news on "My data", and no address is needed)."""
    return any("email" in p.field_list for p in member.purposes if p.purpose != NEWS)


def open_link(token):
    """The member a valid new-address link belongs to (TokenError otherwise); changes nothing."""
    member = service.member_by_public_id(tokens.peek("email", token))
    if member is None:
        raise tokens.TokenError("invalid")
    return member


def confirm_change(token, *, news=None, shown_hash=None):
    """The new address confirms: store it, end the old links and sessions, tell the old address.

    news is "keep" or "stop" when asks_about_news(member); shown_hash is the hash of the
    consent wording the page showed. Raises TokenError for a link that does not work (the
    caller's write block rolls back) and a DomainError for a choice that is missing or stale,
    or a new address another member has meanwhile.
    """
    member = service.member_by_public_id(tokens.redeem("email", token))
    new_address = tokens.new_address(token)
    old_address = store.read(member, ["email"]).get("email")
    actor = Actor.member(member)
    if asks_about_news(member):
        _settle_news(member, old_address, new_address, news, shown_hash, actor)
    service.update_fields(member, {"email": new_address}, actor=actor, allowed=["email"])
    tokens.revoke_links(member)
    end_member_sessions(member)
    if old_address:
        _queue_notice(member, old_address)
    _record("address_changed", member)
    return member


def _settle_news(member, old_address, new_address, news, shown_hash, actor):
    """End the old address's consent; with "keep", a consent for the new one, confirmed now."""
    if news not in ("keep", "stop"):
        raise DomainError(MSG_CHOOSE, "news")
    if news == "stop":
        if not may_stop_news(member):
            raise DomainError(MSG_NEWS_ONLY, "news")
        # Withdrawn on the ledger for the old address, which is suppressed; the purpose ends.
        service.end_purpose(member, NEWS, actor=actor, reason=SOURCE)
        return
    wording = consent.wording_text(NEWS, member.language)
    if shown_hash != consent.wording_hash(wording):
        raise DomainError(MSG_WORDING_CHANGED, "news")
    consent.record(member, NEWS, "withdrawn", source=SOURCE, actor=actor, email=old_address)
    if old_address:
        consent.suppress(old_address, "withdrawn")
    consent.record(member, NEWS, "given", source=SOURCE, actor=actor, email=new_address)
    consent.record(member, NEWS, "confirmed", source=SOURCE, actor=actor, email=new_address)
    consent.unsuppress(new_address)  # the person's own confirmed opt-in, from that mailbox
    member.purpose(NEWS).keep_until = None
    audit.record("consent.confirmed", subject=member.public_id, detail=SOURCE, actor=actor)


def _queue_notice(member, old_address):
    """Tell the old address that mail now goes elsewhere (without saying where)."""
    values = store.read(member, ["first_name"])
    message = render_mail(
        "address_changed",
        to=old_address,
        language=member.language,
        name=values.get("first_name", ""),
        club_name=current_app.config["CLUB_NAME"],
        club_email=current_app.config["CLUB_EMAIL"],
    )
    outbox.enqueue(message, kind="address_changed", member=member)
