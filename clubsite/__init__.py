"""clubsite: a member database for small clubs that keeps personal data the way the GDPR asks."""

import logging
import os
import sys
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from clubsite import unit_of_work
from clubsite.config import ConfigError, ensure_instance, load_config
from clubsite.database import configure_sqlite, engine_options
from clubsite.privacy.keys import load_data_keys


def create_app(test_config=None, instance_path=None):
    """Build the application: configuration, extensions, blueprints, CLI. No other side effects."""
    instance_path = instance_path or os.environ.get("CLUBSITE_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    try:
        load_config(app, test_config)
        ensure_instance(app)
        load_data_keys(app)
    except ConfigError as exc:
        # One readable line instead of a stack trace: the operator has something to fix.
        sys.stderr.write(f"clubsite: configuration error: {exc}\n")
        raise SystemExit(2) from None
    app.extensions["clubsite.factory"] = create_app  # to build a scratch app (backup restore)
    configure_logging(app)
    register_extensions(app)
    register_models()
    register_blueprints(app)
    register_cli(app)
    return app


def configure_logging(app):
    """Log to stderr; SQL parameters are never logged (they could hold personal data)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("clubsite").setLevel(logging.INFO)


def register_extensions(app):
    """Bind the extensions to the app."""
    from clubsite.extensions import babel, csrf, db, init_limiter, login_manager, migrate
    from clubsite.i18n import register_i18n, select_locale
    from clubsite.web.forms import render_hidden_inputs_without_id

    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    options["hide_parameters"] = True
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    render_hidden_inputs_without_id()  # a page with several forms repeats no id
    babel.init_app(
        app, default_locale="lv", default_timezone="Europe/Riga", locale_selector=select_locale
    )
    init_limiter(app)
    login_manager.init_app(app)
    login_manager.login_view = "backoffice.login"
    login_manager.login_message = None  # the login page explains itself
    register_i18n(app)
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies > 0:  # only behind that many proxies may X-Forwarded-* be believed
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def register_models():
    """Import every model module so that SQLAlchemy and Alembic see all tables."""
    from clubsite import models  # noqa: F401


def register_blueprints(app):
    """Security headers, error pages, each area's hooks, and the faces: public, back office."""
    from clubsite import (
        access,
        backoffice,
        backup,
        bookings,
        fees,
        members,
        newsletter,
        outbox,
        public,
        registers,
        reports,
    )
    from clubsite.errors import register_errors
    from clubsite.security import register_security
    from clubsite.staff import auth  # noqa: F401  (registers the user loader)

    register_security(app)
    register_errors(app)
    for area in (members, fees, access, bookings, registers, backup, newsletter, reports, public):
        area.init_app(app)
    outbox.init_app(app)  # after the areas: in a `jobs run --once`, it sends what theirs queued
    backoffice.init_app(app)  # after the areas: it registers the office blueprint they add to
    unit_of_work.init_app(app)  # last: its response hook runs before the security headers'


def register_cli(app):
    """Command-line groups, each owned by its package."""
    from clubsite.cli import register_commands

    register_commands(app)
