"""The schema is built by migrations: `flask db upgrade` on an empty database gives exactly the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from marketplace.extensions import db

from .conftest import reset_database


def test_upgrade_on_empty_database_matches_models(app):
    with app.app_context():
        reset_database()
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "enterprises", "institutions", "products", "financing_needs", "alembic_version",
                "import_batches", "registry_enterprises", "tax_records", "tax_grades", "social_insurance_records",
                "provident_fund_records", "utility_records", "penalties", "list_entries"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"


def test_flask_db_upgrade_command(app, runner):
    with app.app_context():
        reset_database()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "enterprises" in inspect(db.engine).get_table_names()
