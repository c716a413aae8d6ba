"""The staff back office: staff accounts, members, registers of processing; every view behind
the guard. The areas (fees, bookings, access, registers, backup, newsletter) add their own
back-office routes to the same blueprint (clubsite.web.office) from their init_app."""

from importlib import import_module

from clubsite import hooks as registry
from clubsite.privacy.roles import role_label
from clubsite.web import office

# Route modules, each adding its views to the office blueprint when imported.
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
    "clubsite.backoffice.import_routes",
    "clubsite.backoffice.duplicates_routes",
    "clubsite.backoffice.consent_routes",
    "clubsite.backoffice.member_panels",
    "clubsite.backoffice.operations_panels",
    "clubsite.web.panels",
    "clubsite.web.exports",
]


def init_app(app):
    """Import the route modules, register their home panels, then the office blueprint."""
    for name in ROUTE_MODULES:
        registry.register_module(app, import_module(name))
    app.register_blueprint(office)
    app.jinja_env.globals["url_endpoints"] = app.view_functions
    app.jinja_env.globals["role_label"] = role_label
