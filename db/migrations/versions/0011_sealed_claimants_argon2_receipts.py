"""claimant identities sealed at rest; receipt codes with a locator and an argon2 hash

Receipt codes issued before this revision were stored as SHA-256 and cannot be converted: they stop
working (there was no deployment before it; demo codes are re-issued by re-creating demo data).

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FIELDS = ("name", "id_number", "phone", "bank_name", "bank_account", "proxy_name", "proxy_id_number")
SIZES = {"name": 60, "id_number": 30, "phone": 30, "bank_name": 100, "bank_account": 40, "proxy_name": 60,
         "proxy_id_number": 30}


def upgrade() -> None:
    from domain.sealing import seal

    with op.batch_alter_table("claimant_identity") as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.text(f"SELECT reward_id, {', '.join(FIELDS)} FROM claimant_identity")).all():
        data = {field: value for field, value in zip(FIELDS, row[1:])}
        conn.execute(sa.text("UPDATE claimant_identity SET sealed = :sealed WHERE reward_id = :id"),
                     {"sealed": seal(data), "id": row[0]})
    with op.batch_alter_table("claimant_identity") as batch_op:
        batch_op.alter_column("sealed", existing_type=sa.Text(), nullable=False)
        for field in FIELDS:
            batch_op.drop_column(field)
    with op.batch_alter_table("tip") as batch_op:
        batch_op.add_column(sa.Column("receipt_locator", sa.String(length=8), nullable=True))
        batch_op.alter_column("receipt_hash", existing_type=sa.String(length=64), type_=sa.String(length=128),
                              existing_nullable=True)
        batch_op.create_unique_constraint("uq_tip_receipt_locator", ["receipt_locator"])


def downgrade() -> None:
    from domain.sealing import unseal

    with op.batch_alter_table("tip") as batch_op:
        batch_op.drop_constraint("uq_tip_receipt_locator", type_="unique")
        batch_op.alter_column("receipt_hash", existing_type=sa.String(length=128), type_=sa.String(length=64),
                              existing_nullable=True, postgresql_using="left(receipt_hash, 64)")
        batch_op.drop_column("receipt_locator")
    with op.batch_alter_table("claimant_identity") as batch_op:
        for field in FIELDS:
            batch_op.add_column(sa.Column(field, sa.String(length=SIZES[field]), nullable=True))
    conn = op.get_bind()
    for reward_id, sealed in conn.execute(sa.text("SELECT reward_id, sealed FROM claimant_identity")).all():
        data = unseal(sealed)
        conn.execute(sa.text(f"UPDATE claimant_identity SET {', '.join(f'{f} = :{f}' for f in FIELDS)} "
                             "WHERE reward_id = :id"), {**{f: data.get(f) for f in FIELDS}, "id": reward_id})
    with op.batch_alter_table("claimant_identity") as batch_op:
        batch_op.drop_column("sealed")
