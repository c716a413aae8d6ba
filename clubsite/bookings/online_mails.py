"""The mails about an online booking, in the visitor's language, through the outbox.

A visitor who gave an email address gets the confirmation (or "waiting for approval") with the
cancel link, and later the staff's decision. A visitor who gave a phone gets no mail: the
confirmation page shows the cancel link. Each mail is queued inside the action's write block,
so it goes out if and only if the action commits; the request never talks to a mail server.
"""

from datetime import timedelta

from flask import current_app

from clubsite import outbox
from clubsite.bookings import contact
from clubsite.database import as_utc, utcnow
from clubsite.i18n import to_local
from clubsite.mail import render_mail, site_link


def cancel_url(booking, secret):
    """The absolute cancel link of an online booking (it carries the secret, no personal data)."""
    return site_link("public.booking_cancel", token=secret, lang=booking.language or "lv")


def _context(booking, values):
    hall = booking.hall
    return {
        "name": values.get("visitor_name", ""),
        "hall": hall.name,
        "site": hall.location.name,
        "address": hall.location.address,
        "starts_at": to_local(booking.starts_at),
        "ends_at": to_local(booking.ends_at),
        "club_name": current_app.config["CLUB_NAME"],
        "club_email": current_app.config["CLUB_EMAIL"],
    }


def _queue(booking, template, **extra):
    """Render and queue one mail to the booking's email address; 0 if it has none."""
    values = contact.read_contact(booking)
    if not values.get("email"):
        return 0
    message = render_mail(
        template,
        to=values["email"],
        language=booking.language or "lv",
        **_context(booking, values),
        **extra,
    )
    # A mail about a booking is not worth sending once the booking has begun.
    valid_for = max(as_utc(booking.starts_at) - utcnow(), timedelta(minutes=1))
    outbox.enqueue(message, kind=template, valid_for=valid_for)
    return 1


def queue_confirmation(booking, secret):
    """ "Your booking" (confirmed, or waiting for approval) with the cancel link."""
    return _queue(
        booking,
        "booking_confirmation",
        pending=booking.pending,
        cancel_url=cancel_url(booking, secret),
    )


def queue_decision(booking, approved):
    """The staff's decision on a booking that waited for approval."""
    return _queue(booking, "booking_approved" if approved else "booking_refused")
