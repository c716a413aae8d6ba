"""The public face: sign-up, privacy notice, member self-service, language choice, health."""

from importlib import import_module

from flask import Blueprint

from clubsite import hooks as registry
from clubsite.public import tokens

bp = Blueprint("public", __name__)

ROUTE_MODULES = [
    "clubsite.public.site_routes",
    "clubsite.public.notice_routes",
    "clubsite.public.signup_routes",
    "clubsite.public.my_data_routes",
]


def init_app(app):
    """Import the route modules, register the blueprint and the public face's hooks."""
    for name in ROUTE_MODULES:
        import_module(name)
    registry.register_module(app, tokens)
    app.register_blueprint(bp)
