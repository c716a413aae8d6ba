"""Reception check-in: one field for the card, a big answer, every attempt logged."""

from flask import render_template, url_for
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.access.forms import CheckInForm
from clubsite.access.service import check_in
from clubsite.security import allow_camera
from clubsite.staff.sites import current_view
from clubsite.web import office
from clubsite.web.guard import requires


@office.route("/checkin", methods=["GET", "POST"])
@requires("checkin")
def checkin():
    """Check a card (checkin.js posts in the background and swaps in only the answer).

    The card number is typed, sent by a reader that types, or read from the card's QR by the
    camera or from a photo (checkin_scan.js); the page alone may use the camera.
    The check-in is recorded at the site the page shows (the header's switch), if it is one.
    """
    allow_camera()
    form = CheckInForm()
    result = None
    site = current_view(current_user).single
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:  # the attempt is logged, allowed or not
            result = check_in(
                form.card.data, user=current_user, location_id=site.id if site else None
            )
        if outcome.ok:
            form.card.data = ""  # ready for the next card
        else:
            result = None
    desk_url = None
    if result is not None and result.member_public_id and current_user.can("desk"):
        desk_url = url_for("backoffice.desk_member", public_id=result.member_public_id)
    return render_template(
        "backoffice/checkin.html", form=form, result=result, desk_url=desk_url, site=site
    )
