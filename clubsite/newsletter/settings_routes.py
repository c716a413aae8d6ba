"""The club's newsletter header and footer (marketing, admin), and staff's "the address is
right" for a member whose address a mail server refused (those who may correct it)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.members.service import member_by_public_id
from clubsite.newsletter import bp, frame, undeliverable
from clubsite.newsletter.forms import FrameForm
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires


@bp.route("/settings", methods=["GET", "POST"])
@requires("newsletter")
def frame_settings():
    """Write the header and footer every newsletter is sent with, with a preview."""
    form = FrameForm(data=frame.current())
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            frame.save(form.values(), staff=current_user)
        if outcome.ok:
            flash(_("The header and footer are saved."), "success")
            return redirect(url_for("newsletter.frame_settings"))
    previews = {lang: frame.rendered(frame.current(), lang) for lang in ("lv", "en")}
    return render_template("newsletter/settings.html", form=form, previews=previews)


@bp.route("/undeliverable/<public_id>/clear", methods=["POST"])
@requires("members.edit")
def undeliverable_clear(public_id):
    """Staff checked with the member that the address is right: mail may go to it again."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    member = member_by_public_id(public_id)
    if member is None:
        abort(404)
    with unit_of_work.write():
        undeliverable.clear_by_staff(member, current_user)
    flash(_("Mail goes to this address again."), "success")
    return redirect(url_for("backoffice.home"))
