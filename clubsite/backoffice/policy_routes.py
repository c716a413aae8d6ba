"""The data-protection policy and training every staff member passes before seeing personal data."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clubsite import unit_of_work
from clubsite.privacy import policy
from clubsite.urls import safe_next
from clubsite.web import office
from clubsite.web.forms import EmptyForm
from clubsite.web.guard import requires


@office.route("/policy", methods=["GET", "POST"])
@requires("account")
def policy_training():
    """Read the policy, answer the questions; all right means trained for a year."""
    form = EmptyForm()
    wrong = []
    if form.validate_on_submit():
        answers = {q.key: request.form.get(q.key) for q in policy.TRAINING}
        wrong = policy.grade_training(answers)
        if not wrong:
            with unit_of_work.write():
                policy.mark_trained(current_user)
            flash(_("Thank you. You have completed the data-protection training."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("backoffice.home")))
        flash(
            _("Some answers are not right yet. Read the points again and try once more."), "error"
        )
    return render_template(
        "backoffice/policy.html",
        form=form,
        points=policy.POLICY_POINTS,
        questions=policy.TRAINING,
        version=policy.POLICY_VERSION,
        current=policy.policy_current(current_user),
        wrong=wrong,
    )
