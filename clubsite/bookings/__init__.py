"""Hall bookings (purpose `bookings`): the club's sites and their halls, bookings for members
and visitors, occupancy."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = [
    "clubsite.bookings.privacy_hooks",
    "clubsite.bookings.routes",
    "clubsite.bookings.site_routes",
]


def init_app(app):
    """The booking and site pages and panels, anonymising old bookings, erasure, the export."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
