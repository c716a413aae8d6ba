"""Fee administration: plans, memberships (abonementi), invoices with gapless numbers, payments."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.fees.hooks", "clubsite.fees.routes"]


def init_app(app):
    """Fee administration's back-office pages, retention blocker and task, erasure, export."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
