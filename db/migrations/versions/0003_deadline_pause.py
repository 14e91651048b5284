"""deadline pause (中止): paused_at and remaining

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deadline") as batch_op:
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("remaining", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deadline") as batch_op:
        batch_op.drop_column("remaining")
        batch_op.drop_column("paused_at")
