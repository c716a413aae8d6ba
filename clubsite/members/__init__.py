"""Members: the people the club serves, held by purpose."""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.members.import_files"]


def init_app(app):
    """What member management adds: purging spreadsheet uploads nobody imported."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
