"""The public face: sign-up, privacy notice, member self-service, language choice, health."""

from importlib import import_module

from flask import Blueprint

from clubsite import hooks as registry
from clubsite.jobs import register_jobs
from clubsite.outbox import register_renderer
from clubsite.public import tokens

bp = Blueprint("public", __name__)

ROUTE_MODULES = [
    "clubsite.public.site_routes",
    "clubsite.public.notice_routes",
    "clubsite.public.signup_routes",
    "clubsite.public.my_data_routes",
    "clubsite.public.mandate_routes",
    "clubsite.public.address_routes",
    "clubsite.public.booking_routes",
]
# The job runner's daily re-verification mails.
JOB_MODULES = ["clubsite.public.reverify"]


def init_app(app):
    """Import the route modules, register the blueprint, the public face's hooks and job."""
    for name in ROUTE_MODULES:
        import_module(name)
    registry.register_module(app, tokens)
    mails = import_module("clubsite.public.mails")
    for renderer, func in mails.RENDERERS.items():  # mails made when the outbox sends them
        register_renderer(app, renderer, func)
    for name in JOB_MODULES:
        register_jobs(app, import_module(name))
    app.register_blueprint(bp)
