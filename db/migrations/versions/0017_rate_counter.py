"""rate counters in the database, so every worker process of a deployment shares the limits

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEX = "ix_rate_counter_window_end"


def upgrade() -> None:
    op.create_table(
        "rate_counter",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_counter"),
    )
    op.create_index(INDEX, "rate_counter", ["window_end"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="rate_counter")
    op.drop_table("rate_counter")
