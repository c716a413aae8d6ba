"""Club access: the reception check-in by card, and its 30-day log."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.access.hooks", "clubsite.access.routes"]


def init_app(app):
    """The check-in pages, the log's retention, erasure, export section and home panel."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
