"""Hall bookings (reception): day and week views, book, change, cancel; occupancy with times
only (everyone, including guards and cleaners). Sites and halls (admin): site_routes."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date as babel_format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from clubsite import unit_of_work
from clubsite.bookings import approval, halls, schedule, service
from clubsite.bookings.contact import display_contact
from clubsite.bookings.errors import BookingError, StaleBooking
from clubsite.bookings.forms import BookingForm, CancelBookingForm, ChangeBookingForm
from clubsite.bookings.times import local_day, parse_day
from clubsite.database import as_utc, utcnow
from clubsite.i18n import today_local
from clubsite.staff.sites import current_view
from clubsite.web import office
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel
from clubsite.web.params import FIRST_DAY, LAST_DAY


@office.app_template_filter("weekday")
def weekday_name(day):
    """The day of the week in the page's language ("pirmdiena", "Monday")."""
    return babel_format_date(day, "EEEE")


def _day_arg():
    """The ?day= of the page (a date is no personal data), else today in Riga."""
    try:
        day = parse_day(request.args.get("day")) if request.args.get("day") else today_local()
    except BookingError:
        return today_local()
    # Bounded (clubsite.web.params): a day at the calendar's edge overflows a day later.
    return day if FIRST_DAY <= day <= LAST_DAY else today_local()


@office.route("/bookings")
@requires("bookings")
def bookings():
    """One day's bookings with names: the printable "today's bookings" list."""
    day, view = _day_arg(), current_view(current_user)
    rows = schedule.day_rows(current_user, day, view.ids)  # the names read: audited at the end
    pending = schedule.named_rows(current_user, approval.pending_bookings(view.ids))
    return render_template(
        "backoffice/bookings/day.html",
        pending=pending,
        day=day,
        today=today_local(),
        rows=rows,
        halls=halls.active_halls(view.ids),
        view=view,
        step=schedule.next_day,
    )


@office.route("/bookings/week")
@requires("bookings")
def bookings_week():
    """The week (Monday to Sunday) of the chosen day, hall by hall."""
    day, view = _day_arg(), current_view(current_user)
    days, grid = schedule.week_grid(current_user, day, view.ids)
    return render_template(
        "backoffice/bookings/week.html",
        day=day,
        days=days,
        grid=grid,
        today=today_local(),
        view=view,
        step=schedule.next_day,
    )


@office.route("/bookings/new", methods=["GET", "POST"])
@requires("bookings")
def booking_new():
    """Book a hall for a member (search by card or name) or for a visitor."""
    form = BookingForm()
    form.hall.choices = _hall_choices()
    if request.method == "GET":
        form.hall.data = request.args.get("hall") or None
        form.day.data = _day_arg().isoformat()
    elif form.validate_on_submit():
        if form.search.data:
            _search(form)
        else:
            with unit_of_work.write(form) as outcome:
                booking = service.book(current_user, form.values())
                day = local_day(as_utc(booking.starts_at)).isoformat()
            if outcome.ok:
                flash(_("The hall is booked."), "success")
                return redirect(url_for("backoffice.bookings", day=day))
    if form.member.data and not form.member.choices:
        chosen = service.chosen_member(current_user, form.member.data)
        form.member.choices = [chosen] if chosen else []
    return render_template("backoffice/bookings/new.html", form=form)


def _hall_choices():
    """Bookable halls named with their site, the sites this staff member's pages show first."""
    return [SelectChoice(*pair) for pair in halls.hall_choices(current_view(current_user).ids)]


def _search(form):
    """Fill the member choices from the search box; the rest of the form keeps what was typed."""
    form.member.choices = service.find_members(current_user, form.query.data)
    if len(form.member.choices) == 1:
        form.member.data = form.member.choices[0][0]
    elif not form.member.choices:
        form.query.errors = [_("No member found. Check the card number or the name.")]


def _booking_or_404(public_id):
    booking = service.booking_by_public_id(public_id)
    if booking is None:
        abort(404)
    return booking


@office.route("/bookings/<public_id>", methods=["GET", "POST"])
@requires("bookings")
def booking_detail(public_id):
    """One booking: who and when; move it, correct its contact, or cancel it."""
    booking = _booking_or_404(public_id)
    form = ChangeBookingForm()
    form.hall.choices = _hall_choices()
    stale = False
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            service.change_booking(current_user, public_id, form.values())
        if outcome.ok:
            flash(_("The booking is changed."), "success")
            return redirect(url_for("backoffice.booking_detail", public_id=public_id))
        stale = isinstance(outcome.error, StaleBooking)
        booking = _booking_or_404(public_id)  # as it is now (404 if cancelled meanwhile)
    row, contact = schedule.booking_details(current_user, booking)  # the read audited at the end
    if request.method == "GET" or stale:
        _fill_change_form(form, row, contact)
    return render_template(
        "backoffice/bookings/detail.html",
        row=row,
        contact=contact,
        contact_text=display_contact(contact),
        form=form,
        cancel_form=CancelBookingForm(formdata=None, version=booking.version),
        editable=as_utc(booking.ends_at) > utcnow(),
    )


def _fill_change_form(form, row, contact):
    """Show the booking as it is now (on first view, and after a stale-form refusal)."""
    form.hall.data = row.booking.hall.public_id
    form.day.data = row.slot.starts_at.date().isoformat()
    form.start.data = row.slot.starts_at.strftime("%H:%M")
    form.end.data = row.slot.ends_at.strftime("%H:%M")
    form.visitor_name.data = contact.get("visitor_name", "")
    form.contact.data = display_contact(contact)
    form.version.data = str(row.booking.version)


@office.route("/bookings/<public_id>/cancel", methods=["POST"])
@requires("bookings")
def booking_cancel(public_id):
    """Cancel a booking (its contact data goes with it)."""
    return _change_booking(
        public_id,
        lambda version: service.cancel_booking(current_user, public_id, version),
        _("The booking is cancelled."),
        back_to_day=True,
    )


@office.route("/bookings/<public_id>/decide/<action>", methods=["POST"])
@requires("bookings")
def booking_decide(public_id, action):
    """Approve or refuse an online booking that waits for approval; the visitor is mailed."""
    if action not in ("approve", "refuse"):
        abort(404)
    approve = action == "approve"
    return _change_booking(
        public_id,
        lambda version: approval.decide(current_user, public_id, version, approve=approve),
        _("The booking is approved. The visitor is told.")
        if approve
        else _("The booking is refused. The visitor is told."),
        back_to_day=not approve,
    )


def _change_booking(public_id, change, done, *, back_to_day):
    """A POST that changes one booking: its form (the version it was shown at), change(version)
    in one unit of work, a refusal shown on the booking's page; when done, the message and the
    booking's page, or its day's list when the booking is gone from it."""
    booking = _booking_or_404(public_id)
    form = CancelBookingForm()
    if not form.validate_on_submit():
        abort(400)
    day = local_day(as_utc(booking.starts_at)).isoformat()
    with unit_of_work.write(form) as outcome:
        change(form.version.data)
    if not outcome.ok:
        flash(str(outcome.error.message), "error")
        return redirect(url_for("backoffice.booking_detail", public_id=public_id))
    flash(done, "success")
    if back_to_day:
        return redirect(url_for("backoffice.bookings", day=day))
    return redirect(url_for("backoffice.booking_detail", public_id=public_id))


@office.route("/occupancy")
@requires("occupancy")
def occupancy():
    """When each hall is busy today and this week: times only, no names, for every role."""
    day, view = _day_arg(), current_view(current_user)
    days, grid = schedule.occupancy_week(day, view.ids)
    return render_template(
        "backoffice/bookings/occupancy.html",
        day=day,
        today=today_local(),
        today_slots=schedule.occupancy_day(today_local(), view.ids),
        days=days,
        grid=grid,
        view=view,
        step=schedule.next_day,
    )


@home_panel("bookings", _l("Today's bookings"), "backoffice/panels/bookings_today.html", order=20)
def bookings_panel(user):
    """Today's bookings with names at the staff member's sites, for reception."""
    view = current_view(user)
    rows = schedule.today_rows(user, view.ids)  # the names read: audited at the end
    return {"rows": rows, "today": today_local(), "view": view}


@home_panel("occupancy", _l("Halls today"), "backoffice/panels/occupancy_today.html", order=21)
def occupancy_panel(user):
    """Today's busy times per hall of the staff member's sites, with no names."""
    view = current_view(user)
    return {"halls": schedule.occupancy_day(today_local(), view.ids), "today": today_local()}
