"""Club access: the reception check-in by card, and its 30-day log."""

from clubsite import hooks as registry
from clubsite.access import hooks


def init_app(app):
    """What club access adds: the check-in log's retention, erasure, export section, panel."""
    registry.register_module(app, hooks)
