"""the registration form's one-time key on tips (a resubmitted form registers nothing twice)

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEX = "ix_tip_intake_key"


def upgrade() -> None:
    with op.batch_alter_table("tip") as batch_op:
        batch_op.add_column(sa.Column("intake_key", sa.String(length=64), nullable=True))
        batch_op.create_index(INDEX, ["intake_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("tip") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("intake_key")
