"""The schema side of backups: which revision a database is at, and the app on another database.

scratch_app() builds the app, with the same keys, on another database URL: restores migrate and
repair a staged copy with it, and `db copy-to` migrates its target with it.
"""

import contextlib

from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import lazy_gettext as _l

from clubsite.backup import tables
from clubsite.backup.container import BackupError
from clubsite.extensions import db


def check_revision(revision):
    """Refuse a revision from a newer schema; return the current head revision."""
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    head = script.get_current_head()
    known = {rev.revision for rev in script.walk_revisions()}
    if revision not in known:
        raise BackupError(
            _l(
                "This backup is from a newer version of clubsite (schema revision %(revision)s "
                "is unknown here). Update clubsite before restoring it.",
                revision=revision or "?",
            )
        )
    return head


def check_live_at_head(head):
    """Refuse to restore into a database an upgrade has not yet brought to the current schema."""
    with db.engine.connect() as conn:
        live = tables.schema_revision(conn)
    if live != head:
        raise BackupError(
            _l("The database is not at the current schema: run `flask --app wsgi db upgrade`.")
        )


@contextlib.contextmanager
def scratch_app(database_url, *, search_path=None):
    """The app, with the same keys, on another database (to migrate or repair it in place);
    on PostgreSQL optionally in another schema (search_path)."""
    create_app = current_app.extensions["clubsite.factory"]  # the factory that made this app
    cfg = current_app.config
    overrides = {
        name: cfg.get(name)
        for name in (
            "SECRET_KEY",
            "DATA_KEYS",
            "BACKUP_KEY",
            "AUDIT_KEY",
            "BACKUP_DIR",
            "MAIL_URL",
            "TESTING",
        )
    }
    overrides.update(DATABASE_URL=database_url, BACKUP_SECOND_DIR=None, BACKUP_INTERVAL_HOURS=0)
    if search_path:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={search_path}"}
        }
    app = create_app(overrides, instance_path=current_app.instance_path)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
