"""Alembic is the only way the schema changes: migrated databases match the models on every backend, and
the newest migrations go down and up again."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import UniqueConstraint, inspect
from sqlmodel import SQLModel

import domain.all_tables  # noqa: F401  (every table on the metadata)
from db.migrate import alembic_config
from domain.models import ReporterIdentity, Tip
from tests.helpers import REPORTER, register


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


def unique_column_sets(tables) -> dict[str, set[tuple[str, ...]]]:
    """Per table, the column sets kept unique by a constraint or an index (the primary key aside)."""
    return {name: {tuple(columns) for columns in sets} for name, sets in tables.items()}


def test_the_migrated_uniques_are_the_models_uniques(database):
    """Alembic's comparison skips unnamed unique constraints on SQLite, where one (receipt_hash) outlived
    the models; this compares every backend's unique column sets with the models' directly."""
    inspector = inspect(database.engine)
    stored = unique_column_sets({
        table: [u["column_names"] for u in inspector.get_unique_constraints(table)]
        + [i["column_names"] for i in inspector.get_indexes(table) if i["unique"]]
        for table in inspector.get_table_names() if table != "alembic_version"})
    declared = unique_column_sets({
        table.name: [[c.name for c in constraint.columns] for constraint in table.constraints
                     if isinstance(constraint, UniqueConstraint)]
        + [[c.name for c in index.columns] for index in table.indexes if index.unique]
        + [[c.name] for c in table.columns if c.unique]
        for table in SQLModel.metadata.sorted_tables})
    assert stored == declared


def test_rebuilding_the_tip_table_keeps_its_rows_and_what_refers_to_them(runtime, users, database):
    """0021 rebuilds `tip` on SQLite (a no-op elsewhere): tips and their sealed identities survive it."""
    tip = register(runtime, users["desk"])
    config = alembic_config(database.url)
    command.downgrade(config, "0020")
    command.upgrade(config, "head")
    with database.read() as session:
        stored = session.get(Tip, tip.id)
        identity = session.get(ReporterIdentity, tip.id)
    assert (stored.number, stored.facts, stored.registered_at) == (tip.number, tip.facts, tip.registered_at)
    assert identity is not None and identity.name == REPORTER.name
