"""Back-office newsletter pages (marketing, admin): list, compose, preview, send, schedule,
progress, duplicate. The club's header and footer are in settings_routes.

Staff here see counts only: no page of this module lists members, names or addresses.
"""

import json

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from clubsite import unit_of_work
from clubsite.extensions import db
from clubsite.newsletter import bp, content, frame, schedule, segments, service
from clubsite.newsletter.counts import audience_summary, reach
from clubsite.newsletter.forms import NewsletterForm, ScheduleForm
from clubsite.newsletter.message import AddressError
from clubsite.newsletter.models import Newsletter
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires

ACTIONS = {
    "send": (service.queue_newsletter, _l("Sending has started.")),
    "pause": (lambda n, **kw: service.set_paused(n, True), _l("Sending is paused.")),
    "resume": (lambda n, **kw: service.set_paused(n, False), _l("Sending continues.")),
    "cancel": (lambda n, **kw: service.cancel(n), _l("The newsletter is cancelled.")),
    "unschedule": (schedule.unschedule, _l("The newsletter is a draft again.")),
    "delete": (lambda n, **kw: service.delete_draft(n), _l("The draft is deleted.")),
}


def _newsletter_or_404(public_id):
    newsletter = service.find(public_id)
    if newsletter is None:
        abort(404)
    return newsletter


def _audience_overview():
    """Audience sizes by reason, counting soft opt-in members as if the box were ticked."""
    return audience_summary(True)


@bp.route("/")
@requires("newsletter")
def campaign_list():
    """Every newsletter with its status and numbers, and today's audience sizes."""
    newsletters = db.session.scalars(
        select(Newsletter).order_by(Newsletter.created_at.desc()).limit(100)
    ).all()
    stats = {n.id: service.statistics(n) for n in newsletters if n.status != "draft"}
    return render_template(
        "newsletter/list.html", newsletters=newsletters, stats=stats, audience=_audience_overview()
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("newsletter")
def campaign_new():
    """Compose a new newsletter."""
    return _compose(None)


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@requires("newsletter")
def campaign_edit(public_id):
    """Change a draft."""
    newsletter = _newsletter_or_404(public_id)
    if newsletter.status != "draft":
        return redirect(url_for("newsletter.campaign_detail", public_id=public_id))
    return _compose(newsletter)


def _compose(newsletter):
    saved_segment = segments.of(newsletter) if newsletter else segments.Segment()
    form = NewsletterForm(
        obj=newsletter,
        segment_site=str(saved_segment.location_id or ""),
        segment_plan=str(saved_segment.plan_id or ""),
        segment_language=saved_segment.language or "",
    )
    form.set_segment_choices(segments.site_choices(), segments.plan_choices())
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            saved = service.save_draft(newsletter, form.values(), staff=current_user)
        if outcome.ok:
            flash(_("The draft is saved."), "success")
            return redirect(url_for("newsletter.campaign_detail", public_id=saved.public_id))
    return render_template(
        "newsletter/compose.html", form=form, newsletter=newsletter, audience=_audience_overview()
    )


@bp.route("/<public_id>")
@requires("newsletter")
def campaign_detail(public_id, schedule_form=None):
    """A draft or a scheduled campaign with its preview and the count of people it reaches
    today, or a sent newsletter with its live progress and statistics."""
    newsletter = _newsletter_or_404(public_id)
    segment = segments.of(newsletter)
    if newsletter.status in ("draft", "scheduled"):
        audience = audience_summary(newsletter.about_existing_services, segment)
    else:
        audience = json.loads(newsletter.audience_counts or "{}")  # as frozen when Send was pressed
    kept_frame = frame.of(newsletter)
    previews = {
        lang: {"body": content.to_html(newsletter.body(lang)), **frame.rendered(kept_frame, lang)}
        for lang in newsletter.languages
    }
    return render_template(
        "newsletter/detail.html",
        newsletter=newsletter,
        audience=audience,
        reach=reach(audience, newsletter.about_existing_services),
        segment=segments.describe(segment),
        previews=previews,
        progress=service.progress(newsletter),
        stats=service.statistics(newsletter),
        action_form=EmptyForm(),
        schedule_form=schedule_form or ScheduleForm(formdata=None),
    )


@bp.route("/<public_id>/schedule", methods=["POST"])
@requires("newsletter")
def campaign_schedule(public_id):
    """Let a draft go out at a date and time (Riga); a mistake is shown with what was typed."""
    newsletter = _newsletter_or_404(public_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        when = schedule.local_moment(form.day.data, form.at.data)
        with unit_of_work.write(form) as outcome:
            schedule.schedule(newsletter, when, staff=current_user)
        if outcome.ok:
            flash(_("The newsletter will go out at the chosen time."), "success")
            return redirect(url_for("newsletter.campaign_detail", public_id=public_id))
    return campaign_detail(public_id, schedule_form=form), 400


@bp.route("/<public_id>/duplicate", methods=["POST"])
@requires("newsletter")
def campaign_duplicate(public_id):
    """A new draft with this campaign's content and segment, opened for editing."""
    newsletter = _newsletter_or_404(public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with unit_of_work.write():
        copy = service.duplicate(newsletter, staff=current_user)
    flash(_("A copy is saved as a new draft."), "success")
    return redirect(url_for("newsletter.campaign_edit", public_id=copy.public_id))


@bp.route("/<public_id>/progress")
@requires("newsletter")
def campaign_progress(public_id):
    """Live numbers for the progress bar (JSON, counts only)."""
    newsletter = _newsletter_or_404(public_id)
    return jsonify(service.progress(newsletter))


@bp.route("/<public_id>/test", methods=["POST"])
@requires("newsletter")
def campaign_test(public_id):
    """Send the draft to the staff member's own address."""
    newsletter = _newsletter_or_404(public_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work.write():
            count = service.send_test(newsletter, current_user)
    except AddressError:
        flash(_("The test mail could not be sent. Check the mail settings and try again."), "error")
    else:
        flash(_("%(count)d test mail(s) on their way to %(email)s.", count=count,
                email=current_user.email), "success")  # fmt: skip
    return redirect(url_for("newsletter.campaign_detail", public_id=public_id))


@bp.route("/<public_id>/<action>", methods=["POST"])
@requires("newsletter")
def campaign_action(public_id, action):
    """Send, pause, resume, cancel, or delete a draft."""
    newsletter = _newsletter_or_404(public_id)
    if action not in ACTIONS:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    run, message = ACTIONS[action]
    with unit_of_work.write(form) as outcome:  # a refusal is flashed on the campaign's page
        run(newsletter, staff=current_user)
    if outcome.error is not None:
        for error in outcome.error.errors.values():
            flash(str(error), "error")
        return redirect(url_for("newsletter.campaign_detail", public_id=public_id))
    flash(str(message), "success")
    if action == "delete":
        return redirect(url_for("newsletter.campaign_list"))
    return redirect(url_for("newsletter.campaign_detail", public_id=public_id))


@bp.route("/preview", methods=["POST"])
@requires("newsletter")
def preview():
    """The sanitised HTML of a Markdown text, for the live preview on the compose page."""
    body = request.form.get("body", "")[: service.BODY_MAX]
    return jsonify({"html": str(content.to_html(body))})
