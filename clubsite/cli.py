"""Command-line interface: each package that owns commands adds its group here."""

from importlib import import_module

# Modules that define a click group named `cli` (flask --app wsgi <group> ...).
CLI_MODULES = [
    "clubsite.staff.cli",
]


def register_commands(app):
    """Attach every command group to the app."""
    for name in CLI_MODULES:
        app.cli.add_command(import_module(name).cli)
