"""The GDPR registers: subject requests, personal data breaches, complaints."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.registers.routes"]


def init_app(app):
    """The register pages and the deadlines panel."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
