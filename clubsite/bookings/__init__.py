"""Hall bookings (purpose `bookings`): halls, bookings for members and visitors, occupancy."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.bookings.privacy_hooks", "clubsite.bookings.routes"]


def init_app(app):
    """The booking pages and panels, anonymising old bookings, erasure, the export section."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
