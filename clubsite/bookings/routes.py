"""Hall bookings (reception): day and week views, book, change, cancel; halls (admin);
occupancy with times only (everyone, including guards and cleaners)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date as babel_format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.bookings import halls, schedule, service
from clubsite.bookings.contact import display_contact
from clubsite.bookings.errors import BookingError, StaleBooking
from clubsite.bookings.forms import BookingForm, CancelBookingForm, ChangeBookingForm, HallForm
from clubsite.bookings.times import local_day, parse_day
from clubsite.database import as_utc, utcnow
from clubsite.domain import Actor
from clubsite.i18n import today_local
from clubsite.web import office
from clubsite.web.forms import EmptyForm
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


def _actor():
    return Actor.staff(current_user)


@office.route("/bookings")
@requires("bookings")
def bookings():
    """One day's bookings with names: the printable "today's bookings" list."""
    day = _day_arg()
    rows = schedule.day_rows(current_user, day)  # the names read are audited at the end
    return render_template(
        "backoffice/bookings/day.html",
        day=day,
        today=today_local(),
        rows=rows,
        halls=halls.active_halls(),
        step=schedule.next_day,
    )


@office.route("/bookings/week")
@requires("bookings")
def bookings_week():
    """The week (Monday to Sunday) of the chosen day, hall by hall."""
    day = _day_arg()
    days, grid = schedule.week_grid(current_user, day)
    return render_template(
        "backoffice/bookings/week.html",
        day=day,
        days=days,
        grid=grid,
        today=today_local(),
        step=schedule.next_day,
    )


@office.route("/bookings/new", methods=["GET", "POST"])
@requires("bookings")
def booking_new():
    """Book a hall for a member (search by card or name) or for a visitor."""
    form = BookingForm()
    form.hall.choices = [(h.public_id, h.name) for h in halls.active_halls()]
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
    form.hall.choices = [(h.public_id, h.name) for h in halls.active_halls()]
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
    booking = _booking_or_404(public_id)
    form = CancelBookingForm()
    if not form.validate_on_submit():
        abort(400)
    day = local_day(as_utc(booking.starts_at)).isoformat()
    with unit_of_work.write(form) as outcome:
        service.cancel_booking(current_user, public_id, form.version.data)
    if not outcome.ok:
        flash(str(outcome.error.message), "error")
        return redirect(url_for("backoffice.booking_detail", public_id=public_id))
    flash(_("The booking is cancelled."), "success")
    return redirect(url_for("backoffice.bookings", day=day))


@office.route("/bookings/halls", methods=["GET", "POST"])
@requires("settings")
def halls_list():
    """Every hall, and the form to add one."""
    form = _hall_form()
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            halls.add_hall(form.values(), actor=_actor())
        if outcome.ok:
            flash(_("The hall is added."), "success")
            return redirect(url_for("backoffice.halls_list"))
    return render_template(
        "backoffice/bookings/halls.html",
        form=form,
        halls=halls.all_halls(),
        locations={loc.id: loc.name for loc in halls.locations()},
        action_form=EmptyForm(),
    )


def _hall_form(hall=None):
    """The hall form: the hall's current values on first view, what was typed after a POST."""
    current = None
    if hall is not None and request.method == "GET":
        location = next((loc for loc in halls.locations() if loc.id == hall.location_id), None)
        current = {
            "name": hall.name,
            "capacity": str(hall.capacity or ""),
            "location": location.public_id if location else "",
        }
    form = HallForm(data=current)
    form.location.choices = [("", _("The whole club"))] + [
        (loc.public_id, loc.name) for loc in halls.locations()
    ]
    return form


def _hall_or_404(public_id):
    hall = halls.hall_by_public_id(public_id)
    if hall is None:
        abort(404)
    return hall


@office.route("/bookings/halls/<public_id>", methods=["GET", "POST"])
@requires("settings")
def hall_detail(public_id):
    """Rename a hall or change its capacity or location; deactivate or activate it."""
    hall = _hall_or_404(public_id)
    form = _hall_form(hall)
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            halls.update_hall(hall, form.values(), actor=_actor())
        if outcome.ok:
            flash(_("The hall is saved."), "success")
            return redirect(url_for("backoffice.halls_list"))
    return render_template(
        "backoffice/bookings/hall_detail.html", hall=hall, form=form, action_form=EmptyForm()
    )


@office.route("/bookings/halls/<public_id>/<action>", methods=["POST"])
@requires("settings")
def hall_action(public_id, action):
    """Deactivate or activate a hall."""
    hall = _hall_or_404(public_id)
    if action not in ("activate", "deactivate"):
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work.write(form) as outcome:
        halls.set_hall_active(hall, action == "activate", actor=_actor())
    if outcome.ok:
        flash(_("The hall is saved."), "success")
    else:
        flash(str(outcome.error.message), "error")
    return redirect(url_for("backoffice.halls_list"))


@office.route("/occupancy")
@requires("occupancy")
def occupancy():
    """When each hall is busy today and this week: times only, no names, for every role."""
    day = _day_arg()
    days, grid = schedule.occupancy_week(day)
    return render_template(
        "backoffice/bookings/occupancy.html",
        day=day,
        today=today_local(),
        today_slots=schedule.occupancy_day(today_local()),
        days=days,
        grid=grid,
        step=schedule.next_day,
    )


@home_panel("bookings", _l("Today's bookings"), "backoffice/panels/bookings_today.html", order=20)
def bookings_panel(user):
    """Today's bookings with names, for reception."""
    rows = schedule.today_rows(user)  # the names read are audited at the end of the request
    return {"rows": rows, "today": today_local()}


@home_panel("occupancy", _l("Halls today"), "backoffice/panels/occupancy_today.html", order=21)
def occupancy_panel(user):
    """Today's busy times per hall, with no names: what a guard or cleaner needs."""
    return {"halls": schedule.occupancy_day(today_local()), "today": today_local()}
