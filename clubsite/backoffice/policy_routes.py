"""The data-protection policy and training every staff member passes before seeing personal data,
and the admin's yearly review of the club's privacy documents (clubsite.privacy.policy_review).

Each attempt answers a few questions drawn from a larger bank (kept in the session until it is
answered). A wrong attempt is not told which answer was wrong: it gets a new draw.
"""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from clubsite import unit_of_work
from clubsite.backoffice.policy_forms import PolicyReviewForm
from clubsite.domain import Actor
from clubsite.extensions import db
from clubsite.privacy import policy, policy_review
from clubsite.staff.models import StaffUser
from clubsite.urls import safe_next
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires
from clubsite.web.panels import home_panel

DRAW_KEY = "training_draw"


def _current_draw(*, fresh=False):
    """The questions of this attempt: the ones in the session, or a new draw."""
    draw = None if fresh else session.get(DRAW_KEY)
    if not policy.valid_draw(draw):
        draw = policy.draw_training()
        session[DRAW_KEY] = draw
    return draw


@office.route("/policy", methods=["GET", "POST"])
@requires("account")
def policy_training():
    """Read the policy, answer the drawn questions; all right means trained for a year."""
    form = EmptyForm()
    fresh = False
    if form.validate_on_submit():
        draw = session.get(DRAW_KEY)
        if policy.valid_draw(draw) and not policy.grade_training(request.form, draw):
            with unit_of_work.write():
                policy.mark_trained(current_user)
            session.pop(DRAW_KEY, None)
            flash(_("Thank you. You have completed the data-protection training."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("backoffice.home")))
        policy.record_failed_attempt(current_user)  # appended with the request's reads
        flash(
            _("Not all answers were right. Read the points again and answer these new questions."),
            "error",
        )
        fresh = True
    return render_template(
        "backoffice/policy.html",
        form=form,
        points=policy.POLICY_POINTS,
        questions=policy.drawn_questions(_current_draw(fresh=fresh)),
        version=policy.POLICY_VERSION,
        current=policy.policy_current(current_user),
    )


def _reviewer_names(reviews):
    """The names of the staff who made these reviews, by staff id."""
    ids = {review.reviewed_by for review in reviews if review is not None and review.reviewed_by}
    if not ids:
        return {}
    users = db.session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    return {user.id: user.name for user in users}


def _retraining():
    """The policy's version and how many active staff must still (re)take its training."""
    staff = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True))).all()
    return {"version": policy.POLICY_VERSION, "due": len(policy.due_for_training(staff))}


def _reviews_page(forms=None):
    statuses = policy_review.review_status()
    forms = forms or {}
    for status in statuses:
        key = status.document.key
        if key not in forms:
            forms[key] = PolicyReviewForm(prefix=key, content_hash=status.current_hash)
    histories = {s.document.key: policy_review.history(s.document.key) for s in statuses}
    reviewers = _reviewer_names([r for reviews in histories.values() for r in reviews])
    return render_template(
        "backoffice/policy_reviews.html",
        statuses=statuses,
        forms=forms,
        histories=histories,
        reviewers=reviewers,
        retraining=_retraining(),
    )


@office.route("/policies")
@requires("settings")
def policy_reviews():
    """The privacy notice, staff policy and cookie page: when each was last reviewed, by whom."""
    return _reviews_page()


@office.route("/policies/<key>/review", methods=["POST"])
@requires("settings")
def policy_review_record(key):
    """Record that the admin has reviewed a document as it reads now."""
    document = policy_review.DOCUMENTS.get(key)
    if document is None:
        abort(404)
    form = PolicyReviewForm(prefix=key)
    if form.validate_on_submit():
        with unit_of_work.write(form) as outcome:
            policy_review.record_review(
                key,
                current_user,
                seen_hash=form.content_hash.data or "",
                note=form.note.data,
                actor=Actor.staff(current_user),
            )
        if outcome.ok:
            flash(_("Review recorded: %(document)s.", document=document.title), "success")
            return redirect(url_for("backoffice.policy_reviews"))
    return _reviews_page({key: form})


@home_panel("settings", _l("Policy reviews"), "backoffice/panels/policy_reviews.html", order=28)
def policy_reviews_panel(_user):
    """Each privacy document's last review, due a year later; the training's version."""
    statuses = policy_review.review_status()
    return {
        "statuses": statuses,
        "reviewers": _reviewer_names([status.last for status in statuses]),
        "retraining": _retraining(),
    }
