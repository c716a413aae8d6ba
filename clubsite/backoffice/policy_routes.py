"""The data-protection policy and training every staff member passes before seeing personal data.

Each attempt answers a few questions drawn from a larger bank (kept in the session until it is
answered). A wrong attempt is not told which answer was wrong: it gets a new draw.
"""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.privacy import policy
from clubsite.urls import safe_next
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires

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
