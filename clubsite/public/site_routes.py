"""Site-wide public routes: home, language choice, cookie notice, health check."""

from flask import redirect, render_template, request, session
from sqlalchemy import text

from clubsite.extensions import csrf, db, limiter
from clubsite.i18n import LANGUAGES
from clubsite.public import bp
from clubsite.urls import safe_next


@bp.route("/")
def index():
    """The public start page."""
    return render_template("public/index.html")


@bp.route("/lang", methods=["POST"])
def set_language():
    """Remember the chosen language in the session cookie and go back."""
    language = request.form.get("lang")
    if language in LANGUAGES:
        session["lang"] = language
    return redirect(safe_next(request.form.get("next"), "/"))


@bp.route("/cookies")
def cookies():
    """What the site stores in the browser: only what it cannot work without."""
    return render_template("public/cookies.html")


@bp.route("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    """200 when the database answers; no personal data, no session."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any failure means "not healthy")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
