"""The invitation mail with a set-password link, sent through the outbox."""

from datetime import timedelta

from flask import current_app

from clubsite import outbox
from clubsite.mail import render_mail


def invitation_url(token):
    """The absolute link a new staff member opens to set a password."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/office/invite/{token}"


def send_invitation(user, token, *, valid_hours):
    """Queue the set-password link for the new staff member (in the caller's write block)."""
    message = render_mail(
        "staff_invitation",
        to=user.email,
        language=user.language,
        name=user.name,
        url=invitation_url(token),
        club_name=current_app.config["CLUB_NAME"],
    )
    outbox.enqueue(message, kind="staff_invitation", valid_for=timedelta(hours=valid_hours))
