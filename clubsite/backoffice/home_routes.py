"""The home page each role lands on."""

from flask import render_template
from flask_login import current_user

from clubsite.backoffice import bp
from clubsite.backoffice.guard import requires
from clubsite.backoffice.home_panels import panels_for


@bp.route("/")
@requires("home")
def home():
    """What needs attention today, for the logged-in staff member's roles."""
    panels = panels_for(current_user)
    return render_template("backoffice/home.html", panels=panels)
