"""Members: the people the club serves, held by purpose."""

from importlib import import_module

from clubsite import hooks as registry
from clubsite.jobs import register_jobs

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = ["clubsite.members.import_files"]
# Modules whose jobs this area runs: the daily retention run erases members' data.
JOB_MODULES = ["clubsite.privacy.retention"]


def init_app(app):
    """What member management adds: purging uploads nobody imported, the daily retention run."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
    for name in JOB_MODULES:
        register_jobs(app, import_module(name))
