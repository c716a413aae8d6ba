"""Online hall booking (/rezervet): a site's week of free and busy times (times only, never a
name), booking a free slot with a name and a phone or email, and the cancel link's page.

Plain links and forms: everything works without JavaScript, on a phone, under the strict CSP.
The booking form and the cancel page carry what the visitor typed or their link: no-store, as
every page here (clubsite.security).
"""

import threading
from collections import OrderedDict
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from clubsite import unit_of_work
from clubsite.bookings import online, online_mails, week
from clubsite.bookings.errors import BookingError
from clubsite.bookings.forms import OnlineBookingForm
from clubsite.bookings.times import parse_day
from clubsite.extensions import limiter
from clubsite.i18n import current_language, to_local, today_local
from clubsite.public import bp, limits
from clubsite.web.forms import EmptyForm
from clubsite.web.params import FIRST_DAY, LAST_DAY


def _week_arg():
    """The ?day= whose week the page shows (a date is no personal data), else this week."""
    try:
        day = parse_day(request.args.get("day")) if request.args.get("day") else today_local()
    except BookingError:
        return today_local()
    return day if FIRST_DAY <= day <= LAST_DAY else today_local()


@bp.route("/rezervet")
def booking_sites():
    """The sites whose halls can be booked online (straight to the one, if there is one)."""
    sites = week.online_sites()
    if len(sites) == 1:
        return redirect(url_for("public.booking_site", site=sites[0].public_id))
    return render_template("public/booking_sites.html", sites=sites)


@bp.route("/rezervet/<site>")
def booking_site(site):
    """A site's week: each online hall's slots, free (a button to book) or busy. Times only."""
    location, inputs = week.site_week_inputs(site, _week_arg())
    days, last = inputs.days, inputs.last_day
    return render_template(
        "public/booking_week.html",
        site=location,
        days=days,
        halls_html=_halls_html(inputs),
        previous=days[0] - timedelta(days=7) if days[0] > today_local() else None,
        next=days[0] + timedelta(days=7) if last and last > days[-1] else None,
    )


# The halls' part of a week's page, by everything it is made of (week.WeekInputs) and the
# language: it holds times only, and equal inputs make an equal part, so a page asked again
# (the same week, no booking changed, the same minute) is not worked out again. Per process.
_HALLS_HTML = OrderedDict()
_HALLS_HTML_LOCK = threading.Lock()
HALLS_HTML_KEPT = 64


def _halls_html(inputs):
    key = (inputs.fingerprint, current_language())
    with _HALLS_HTML_LOCK:
        html = _HALLS_HTML.get(key)
        if html is not None:
            _HALLS_HTML.move_to_end(key)
            return html
    days, halls = week.offer(inputs)
    html = Markup(  # noqa: S704  (a template's output, autoescaped)
        render_template(
            "public/_booking_halls.html",
            days=days,
            halls=halls,
            today=to_local(inputs.now).date(),
        )
    )
    with _HALLS_HTML_LOCK:
        _HALLS_HTML[key] = html
        while len(_HALLS_HTML) > HALLS_HTML_KEPT:
            _HALLS_HTML.popitem(last=False)
    return html


@bp.route("/rezervet/zale/<hall>", methods=["GET", "POST"])
@limiter.limit(limits.BOOK_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.BOOK_PER_CONTACT, key_func=limits.contact_key, methods=["POST"])
def booking_form(hall):
    """Book one free slot of a hall: a name and a phone or email, nothing pre-ticked."""
    chosen = online.online_hall(hall)
    form = OnlineBookingForm()
    status = 200
    if request.method == "GET":
        form.day.data, form.start.data = request.args.get("day"), request.args.get("start")
    elif form.validate_on_submit():
        if form.is_bot():
            return redirect(url_for("public.booking_site", site=chosen.location.public_id))
        with unit_of_work.write(form) as outcome:
            booking, secret = online.book_online(
                chosen.public_id, form.values(), language=current_language()
            )
            mailed = online_mails.queue_confirmation(booking, secret)
            pending = booking.pending
        if outcome.ok:
            flash(
                _("Your booking request is sent.") if pending else _("Your booking is made."),
                "success",
            )
            return redirect(url_for("public.booking_cancel", token=secret, mailed=mailed or None))
        status = 409 if isinstance(outcome.error, online.SlotTaken) else 400
    return _render_form(form, chosen, status)


def _render_form(form, hall, status):
    """The form for the chosen slot, or the reason the slot cannot be booked (any more)."""
    try:
        slot = online.offered_slot(hall, form.day.data, form.start.data)
    except BookingError as exc:
        slot, status = None, max(status, 404 if request.method == "GET" else 400)
        if exc.message not in form.form_errors:
            form.form_errors.append(exc.message)
    page = render_template(
        "public/booking_form.html",
        form=form,
        hall=hall,
        slot=[to_local(moment) for moment in slot] if slot else None,
    )
    return page, status


@bp.route("/rezervet/atcelt/<token>", methods=["GET", "POST"])
@limiter.limit(limits.CONFIRM_PER_CLIENT, methods=["POST"])
@limiter.limit(limits.CONFIRM_PER_LINK, key_func=limits.link_key, methods=["POST"])
def booking_cancel(token):
    """The booking's own page (its link was mailed or shown once): when, where, and a button
    to cancel it. A POST from this page cancels, so a mail scanner opening the link cancels
    nothing."""
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            label, starts_at, ends_at = online.cancel_online(token)
        if outcome.ok:
            return render_template(
                "public/booking_cancelled.html", hall=label, starts_at=starts_at, ends_at=ends_at
            )
    booking = online.booking_for_secret(token)
    if booking is None:
        return render_template("public/booking_gone.html"), 404
    return render_template(
        "public/booking_view.html",
        booking=booking,
        starts_at=to_local(booking.starts_at),
        ends_at=to_local(booking.ends_at),
        form=form,
        cancellable=online.cancellable(booking),
        mailed=request.args.get("mailed") == "1",
        link=url_for("public.booking_cancel", token=token, _external=False),
    )
