"""Hall bookings (purpose `bookings`): halls, bookings for members and visitors, occupancy."""

from clubsite import hooks as registry
from clubsite.bookings import privacy_hooks


def init_app(app):
    """What hall bookings add: anonymising old bookings, erasure, the export section."""
    registry.register_module(app, privacy_hooks)
