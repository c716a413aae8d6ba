"""Command-line interface: each package that owns commands adds its group here."""

from importlib import import_module

# Modules that define a click group named `cli` (flask --app wsgi <group> ...).
CLI_MODULES = [
    "clubsite.staff.cli",
    "clubsite.privacy.cli",
    "clubsite.newsletter.cli",
    "clubsite.public.cli",
    "clubsite.backup.cli",
    "clubsite.jobs.cli",
    "clubsite.fees.cli",
    "clubsite.bookings.cli",
    "clubsite.demo",
]


def register_commands(app):
    """Attach every command group to the app (a module may define several groups)."""
    for name in CLI_MODULES:
        module = import_module(name)
        for attr in ("cli", "keys_cli", "audit_cli"):
            if hasattr(module, attr):
                app.cli.add_command(getattr(module, attr))
