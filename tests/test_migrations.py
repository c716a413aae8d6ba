"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from clubsite import create_app
from clubsite.extensions import db


def test_migrations_match_models(tmp_path):
    """A fresh database upgraded to head has no difference from the models' metadata."""
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/m.sqlite3", "TESTING": True},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
