"""reporter identity sealed at rest: existing rows encrypted with the configured key, plaintext dropped

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FIELDS = ("name", "phone", "id_number", "address")


def upgrade() -> None:
    from domain.sealing import seal

    with op.batch_alter_table("reporter_identity") as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT tip_id, name, phone, id_number, address FROM reporter_identity")).all()
    for row in rows:
        data = {field: value for field, value in zip(FIELDS, row[1:]) if value is not None}
        conn.execute(sa.text("UPDATE reporter_identity SET sealed = :sealed WHERE tip_id = :tip"),
                     {"sealed": seal(data), "tip": row[0]})
    with op.batch_alter_table("reporter_identity") as batch_op:
        batch_op.alter_column("sealed", existing_type=sa.Text(), nullable=False)
        for field in FIELDS:
            batch_op.drop_column(field)


def downgrade() -> None:
    from domain.sealing import unseal

    with op.batch_alter_table("reporter_identity") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(60), nullable=True))
        for field, size in (("phone", 30), ("id_number", 30), ("address", 200)):
            batch_op.add_column(sa.Column(field, sa.String(size), nullable=True))
    conn = op.get_bind()
    for tip_id, sealed in conn.execute(sa.text("SELECT tip_id, sealed FROM reporter_identity")).all():
        data = unseal(sealed)
        conn.execute(sa.text("UPDATE reporter_identity SET name = :name, phone = :phone, id_number = :id_number, "
                             "address = :address WHERE tip_id = :tip"),
                     {**{f: data.get(f) for f in FIELDS}, "tip": tip_id})
    with op.batch_alter_table("reporter_identity") as batch_op:
        batch_op.drop_column("sealed")
