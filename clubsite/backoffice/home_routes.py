"""The home page each role lands on."""

from flask import render_template
from flask_login import current_user

from clubsite.web import office
from clubsite.web.guard import requires
from clubsite.web.panels import panels_for


@office.route("/")
@requires("home")
def home():
    """What needs attention today, for the logged-in staff member's roles."""
    panels = panels_for(current_user)
    return render_template("backoffice/home.html", panels=panels)
