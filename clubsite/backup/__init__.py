"""Encrypted backups, verified restores, and moving a club to PostgreSQL."""

from importlib import import_module

from clubsite import hooks as registry
from clubsite.jobs import register_jobs

# Modules whose routes, hooks and jobs this area adds (imported by name: the package stays
# light, so its models and services import without pulling in the web routes).
MODULES = ["clubsite.backup.routes", "clubsite.backup.schedule", "clubsite.backup.upkeep"]


def init_app(app):
    """The backup pages, the backup status panel, the job runner's automatic backups and the
    nightly refresh of the planner's statistics."""
    for name in MODULES:
        module = import_module(name)
        registry.register_module(app, module)
        register_jobs(app, module)
