"""The public side's mails: confirm a subscription, "you are already with us" (with the link
that adds what an existing member asked for), "My data" links and the yearly "are your details
still right?".

Each is rendered in the member's language and put into the outbox inside the action's write
block, so it is sent (by the job runner, retried while the mail server is away) if and only if
the action commits. The request never talks to the mail server: the answer a visitor gets takes
the same time whether or not a mail goes out, so timing does not tell who is a member.
"""

from flask import current_app
from sqlalchemy import select

from clubsite import outbox
from clubsite.extensions import db
from clubsite.mail import link_context, render_mail
from clubsite.mail import site_link as link
from clubsite.members.import_writer import CONFIRM_RENDERER
from clubsite.privacy import consent
from clubsite.privacy import fields as store
from clubsite.privacy.models import Member
from clubsite.privacy.purposes import PURPOSES
from clubsite.public import tokens


def _context(member):
    """Greeting name, address and the purposes, as every mail here uses them."""
    values = store.read(member, ["email", "first_name"])
    return values.get("email"), {
        "name": values.get("first_name", ""),
        "purposes": [PURPOSES[p.purpose].name for p in member.purposes],
        "club_name": current_app.config["CLUB_NAME"],
        "club_email": current_app.config["CLUB_EMAIL"],
        "my_data_url": link("public.my_data", lang=member.language),
    }


def _confirm_url(member):
    token = tokens.issue("confirm", member)
    return link("public.confirm", token=token, lang=member.language)


def access_url(member, kind="access"):
    """A fresh single-use link that opens the member's "My data" page."""
    endpoint = "public.my_data_reverify" if kind == "reverify" else "public.my_data_open"
    return link(endpoint, token=tokens.issue(kind, member), lang=member.language)


def _add_url(member, requested):
    """The link that adds what an existing member asked for (the purposes sealed inside)."""
    token = tokens.issue("purpose", member, purposes=requested)
    return link("public.add_purpose", token=token, lang=member.language)


def queue_signup_mail(member, created, *, by_staff=False, requested=()):
    """Queue what a sign-up sends: a confirmation, a welcome, or "you are already with us"
    (with a link that adds the purposes `requested`, once they confirm).

    Returns how many mails were queued (0 or 1).
    """
    to, context = _context(member)
    if not to:
        return 0  # nobody to write to; the page said "if you gave an email address"
    pending = consent.state(member, "newsletter") == "pending" and "newsletter" not in requested
    confirm_url = _confirm_url(member) if pending else None
    if not created:
        template, extra = "signup_existing", {"access_url": access_url(member)}
        if requested:
            extra["add_url"] = _add_url(member, requested)
            extra["requested"] = [PURPOSES[pid].name for pid in requested]
    elif pending:
        template, extra = "signup_confirm", {"by_staff": by_staff}
    elif by_staff:
        return 0  # the desk gave the person the privacy notice on paper
    else:
        template, extra = "signup_welcome", {}
    message = render_mail(
        template, to=to, language=member.language, confirm_url=confirm_url, **context, **extra
    )
    outbox.enqueue(message, kind=template, member=member)
    return 1


def render_consent_confirm(spec, *, to):
    """The outbox renderer of the confirmation mail of a consent staff imported: made when it is
    sent, so its link's week starts then. Once the consent is no longer waiting (confirmed,
    withdrawn, expired or erased) there is nothing to confirm and no mail is made."""
    member = db.session.scalar(select(Member).where(Member.public_id == spec.get("member")))
    if member is None or consent.state(member, "newsletter") != "pending":
        raise outbox.RenderError("the consent no longer waits for its confirmation")
    with link_context():
        _address, context = _context(member)
        return render_mail(
            "signup_confirm", to=to, language=member.language, confirm_url=_confirm_url(member),
            by_staff=True, **context,
        )  # fmt: skip


RENDERERS = {CONFIRM_RENDERER: render_consent_confirm}


def queue_access_link(member):
    """Queue the "open My data" mail with a 30-minute single-use link (it expires with it)."""
    to, context = _context(member)
    if not to:
        return 0
    message = render_mail(
        "my_data_link", to=to, language=member.language, url=access_url(member), **context
    )
    lifetime = tokens.LIFETIMES["access"]  # a link that no longer opens is not worth sending
    outbox.enqueue(message, kind="my_data_link", member=member, valid_for=lifetime)
    return 1


def queue_reverify_mail(member):
    """Queue the yearly "are your details still right?" mail."""
    to, context = _context(member)
    url = access_url(member, kind="reverify")
    message = render_mail("reverify", to=to, language=member.language, url=url, **context)
    outbox.enqueue(message, kind="reverify", member=member, valid_for=tokens.LIFETIMES["reverify"])
    return 1
