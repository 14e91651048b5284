"""drop the unique constraint on tip.receipt_hash that SQLite still had

0019 dropped it on PostgreSQL, on the belief that 0011's rebuild of the table had dropped it on SQLite. It
had not: the rebuild copied the unnamed UNIQUE (receipt_hash) along, and Alembic's comparison skips unnamed
constraints on SQLite, so the drift went unseen (tests/test_migrations.py now compares unique column sets).
Hashes are salted argon2, looked up through receipt_locator, so the models never declared it; it only cost
every registration an index entry. SQLite drops a constraint by rebuilding the table; the naming convention
gives the reflected unnamed constraints names, so the one to drop can be named.

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("tip", naming_convention=NAMING, recreate="always") as batch_op:
            batch_op.drop_constraint("uq_tip_receipt_hash", type_="unique")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("tip", naming_convention=NAMING, recreate="always") as batch_op:
            batch_op.create_unique_constraint("uq_tip_receipt_hash", ["receipt_hash"])
