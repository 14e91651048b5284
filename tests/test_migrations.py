"""Alembic is the only way the schema changes: migrated databases match the models on every backend, and
the newest migrations go down and up again."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import domain.all_tables  # noqa: F401  (every table on the metadata)
from db.migrate import alembic_config


def schema_drift(database) -> list:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_the_migrated_schema_is_the_models_schema(database):
    assert schema_drift(database) == []


def test_the_newest_migrations_go_down_and_up_again(database):
    config = alembic_config(database.url)
    command.downgrade(config, "0015")
    command.upgrade(config, "head")
    assert schema_drift(database) == []
