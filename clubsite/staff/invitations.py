"""The invitation mail with a set-password link."""

from flask import current_app

from clubsite.mail import send_mail


def invitation_url(token):
    """The absolute link a new staff member opens to set a password."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/office/invite/{token}"


def send_invitation(user, token):
    """Send the set-password link to the new staff member."""
    send_mail(
        "staff_invitation",
        to=user.email,
        language=user.language,
        name=user.name,
        url=invitation_url(token),
        club_name=current_app.config["CLUB_NAME"],
    )
