"""information reports: version, due/found times, major category, return note; several major reports a day

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

from domain.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# 0006 created the period uniqueness unnamed: PostgreSQL named it itself; SQLite needs a convention.
PG_NAME = "info_report_reporter_id_kind_period_start_key"
SQLITE_CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
SQLITE_NAME = "uq_info_report_reporter_id"
NOT_MAJOR = sa.text("kind <> 'major'")


def _batch():
    if op.get_bind().dialect.name == "sqlite":
        return op.batch_alter_table("info_report", naming_convention=SQLITE_CONVENTION), SQLITE_NAME
    return op.batch_alter_table("info_report"), PG_NAME


def upgrade() -> None:
    batch, unique_name = _batch()
    with batch as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("due_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("found_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.String(length=1000), nullable=True))
        batch_op.drop_constraint(unique_name, type_="unique")
        batch_op.create_index("uq_info_report_period", ["reporter_id", "kind", "period_start"], unique=True,
                              sqlite_where=NOT_MAJOR, postgresql_where=NOT_MAJOR)


def downgrade() -> None:
    batch, unique_name = _batch()
    with batch as batch_op:
        batch_op.drop_index("uq_info_report_period")
        batch_op.create_unique_constraint(unique_name, ["reporter_id", "kind", "period_start"])
        batch_op.drop_column("review_note")
        batch_op.drop_column("category")
        batch_op.drop_column("found_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("version")
