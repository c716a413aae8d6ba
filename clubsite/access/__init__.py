"""Club access: the reception check-in by card (typed, from a reader or a QR), its 30-day log,
and the printable member card."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.access.hooks", "clubsite.access.routes", "clubsite.access.card_routes"]


def init_app(app):
    """The check-in pages, the log's retention, erasure, export section and home panel."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
