"""The newsletter: compose, audience, durable sending, progress, and one-click unsubscribe.

Two blueprints: `newsletter` is the back-office part under /office/newsletter, behind the
back-office guard; `newsletter_public` holds the unsubscribe link /u/<token>, which needs no
login and is validated by its signed token instead.
"""

from importlib import import_module

from flask import Blueprint

from clubsite import hooks as registry
from clubsite.jobs import register_jobs
from clubsite.outbox.refusals import register_refusal
from clubsite.web.guard import check_access

bp = Blueprint("newsletter", __name__, url_prefix="/office/newsletter")
bp.before_request(check_access)
public_bp = Blueprint("newsletter_public", __name__)

ROUTE_MODULES = [
    "clubsite.newsletter.routes",
    "clubsite.newsletter.settings_routes",
    "clubsite.newsletter.public_routes",
    "clubsite.newsletter.panels",
    "clubsite.newsletter.hooks",
    "clubsite.newsletter.undeliverable",
]
# The sender and the start of scheduled campaigns, run by the job runner (flask jobs run),
# never by a web worker.
JOB_MODULES = ["clubsite.newsletter.sender", "clubsite.newsletter.schedule"]


def init_app(app):
    """Import the route modules, register both blueprints, the newsletter's hooks and jobs, and
    the outbox's check for addresses a mail server refused for good."""
    for name in ROUTE_MODULES:
        registry.register_module(app, import_module(name))
    for name in JOB_MODULES:
        register_jobs(app, import_module(name))
    register_refusal(app, import_module("clubsite.newsletter.undeliverable").outbox_refusal)
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
