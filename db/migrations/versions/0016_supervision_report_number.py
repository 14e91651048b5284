"""the supervision report's document number (督导情况报告文号), allocated once per round

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = "ix_supervision_round_report_number"


def upgrade() -> None:
    with op.batch_alter_table("supervision_round") as batch_op:
        batch_op.add_column(sa.Column("report_number", sa.String(length=40), nullable=True))
        batch_op.create_index(INDEX, ["report_number"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("supervision_round") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("report_number")
