"""Members: the people the club serves, held by purpose."""

from clubsite import hooks as registry
from clubsite.members import import_files


def init_app(app):
    """What member management adds: purging spreadsheet uploads nobody imported."""
    registry.register_module(app, import_files)
