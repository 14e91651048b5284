"""audit hash chain: seq, prev_hash, hash on audit rows, and the chain head; existing rows are chained

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
from sqlmodel import Session, select

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_audit_entry_seq", ["seq"])
    _chain_existing_rows()


def _chain_existing_rows() -> None:
    """Link the rows written before the chain existed, in id order, and store the head."""
    from domain.models import AuditEntry, AuditHead
    from services.audit import GENESIS, row_hash

    with Session(bind=op.get_bind()) as session:
        previous, seq = GENESIS, 0
        for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)):
            seq += 1
            entry.seq, entry.prev_hash = seq, previous
            entry.hash = previous = row_hash(entry)
        session.add(AuditHead(id=1, seq=seq, hash=previous))
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_entry_seq", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_head")
