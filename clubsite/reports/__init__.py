"""Reports with pictures, built from aggregates only: members, attendance, fees, the newsletter
and data protection, each for the roles whose purpose it belongs to.

Every figure is a SQL GROUP BY over the area tables (no field is decrypted, no member row is
loaded); a group under 5 is withheld (clubsite.reports.cells); charts are SVG drawn on the server
without scripts (clubsite.reports.charts).
"""

from importlib import import_module

from clubsite import hooks as registry

# Modules whose routes this area adds (imported by name: the package stays light).
MODULES = ["clubsite.reports.routes"]


def init_app(app):
    """The report pages, their charts and CSV downloads."""
    for name in MODULES:
        registry.register_module(app, import_module(name))
