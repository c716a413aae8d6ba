"""Fee administration: plans, memberships (abonementi), invoices with gapless numbers, payments."""

from clubsite import hooks as registry
from clubsite.fees import hooks


def init_app(app):
    """What fee administration adds: retention blocker and task, erasure, export, a panel."""
    registry.register_module(app, hooks)
