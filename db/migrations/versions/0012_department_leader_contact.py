"""an outside department's own leader contact, for escalations

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("department") as batch_op:
        batch_op.add_column(sa.Column("leader_name", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("leader_email", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("department") as batch_op:
        batch_op.drop_column("leader_email")
        batch_op.drop_column("leader_name")
