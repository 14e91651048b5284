"""drop the unique constraint on tip.receipt_hash that only PostgreSQL kept

0001 declared receipt_hash unique; 0011 rebuilt the table on SQLite (which dropped it) and altered it in
place on PostgreSQL (which kept it). Hashes are salted argon2, looked up through receipt_locator, so the
models never declared it: this brings PostgreSQL in line with the models and with SQLite.

Revision ID: 0019
Revises: 0018
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE tip DROP CONSTRAINT IF EXISTS tip_receipt_hash_key")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint("tip_receipt_hash_key", "tip", ["receipt_hash"])
