"""the joint meeting notice's document number (会议通知文号), given once when the notice is sent

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch_op:
        batch_op.add_column(sa.Column("notice_number", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint("uq_meeting_notice_number", ["notice_number"])


def downgrade() -> None:
    with op.batch_alter_table("meeting") as batch_op:
        batch_op.drop_constraint("uq_meeting_notice_number", type_="unique")
        batch_op.drop_column("notice_number")
