"""The staff back office: one blueprint, every view behind the guard."""

from importlib import import_module

from flask import Blueprint

from clubsite import hooks as registry
from clubsite.backoffice.guard import check_access
from clubsite.privacy.roles import role_label

bp = Blueprint("backoffice", __name__, url_prefix="/office")
bp.before_request(check_access)

# Route modules, each adding its views to bp when imported.
ROUTE_MODULES = [
    "clubsite.backoffice.auth_routes",
    "clubsite.backoffice.home_routes",
    "clubsite.backoffice.staff_routes",
    "clubsite.backoffice.audit_routes",
    "clubsite.backoffice.policy_routes",
    "clubsite.backoffice.member_routes",
    "clubsite.backoffice.member_add_routes",
    "clubsite.backoffice.ropa_routes",
    "clubsite.backoffice.twofactor_routes",
    "clubsite.backoffice.registers_routes",
    "clubsite.backoffice.import_routes",
    "clubsite.backoffice.duplicates_routes",
    "clubsite.backoffice.checkin_routes",
    "clubsite.backoffice.fees_routes",
    "clubsite.backoffice.bookings_routes",
    "clubsite.backoffice.backup_routes",
]

PANEL_MODULES = ["clubsite.backoffice.home_panels", "clubsite.backoffice.member_panels"]


def init_app(app):
    """Import the route modules, register the blueprint and the back office's home panels."""
    for name in ROUTE_MODULES + [
        "clubsite.backoffice.home_panels",
        "clubsite.backoffice.member_panels",
    ]:
        registry.register_module(app, import_module(name))
    app.register_blueprint(bp)
    app.jinja_env.globals["url_endpoints"] = app.view_functions
    app.jinja_env.globals["role_label"] = role_label
