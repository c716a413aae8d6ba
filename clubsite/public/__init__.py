"""The public face: sign-up, privacy notice, member self-service, language choice, health."""

from importlib import import_module

from flask import Blueprint

bp = Blueprint("public", __name__)

ROUTE_MODULES = [
    "clubsite.public.site_routes",
    "clubsite.public.notice_routes",
    "clubsite.public.signup_routes",
    "clubsite.public.my_data_routes",
]


def register_public(app):
    """Import the route modules and register the blueprint."""
    for name in ROUTE_MODULES:
        import_module(name)
    app.register_blueprint(bp)
