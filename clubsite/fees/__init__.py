"""Fee administration: plans, memberships (abonementi), invoices with gapless numbers, payments."""

from importlib import import_module

from clubsite import hooks as registry
from clubsite.jobs import register_jobs
from clubsite.outbox import register_renderer

# Modules whose routes and hooks this area adds (imported by name: the package stays light,
# so its models and services import without pulling in the web routes).
MODULES = [
    "clubsite.fees.hooks",
    "clubsite.fees.routes",
    "clubsite.fees.desk_routes",
    "clubsite.fees.bank_hooks",
    "clubsite.fees.bank_routes",
    "clubsite.fees.document_routes",
]
# Modules whose jobs the job runner runs (the month's invoice run, overdue reminders), and the
# outbox renderers they queue mail for (invoice mails are made, PDF and all, when sent).
JOB_MODULES = ["clubsite.fees.mailing", "clubsite.fees.reminders"]


def init_app(app):
    """Fee administration's back-office pages, retention blocker and task, erasure, export."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
    for name in JOB_MODULES:
        module = import_module(name)
        register_jobs(app, module)
        for renderer, func in getattr(module, "RENDERERS", {}).items():
            register_renderer(app, renderer, func)
