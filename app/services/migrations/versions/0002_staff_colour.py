"""Each professional gets a colour for their sessions in the agenda.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PALETTE = ["#3b82f6", "#10b981", "#f59e0b", "#8b5cf6", "#ef4444", "#14b8a6"]


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch_op:
        batch_op.add_column(
            sa.Column("color", sa.String(), nullable=False, server_default=PALETTE[0]))
    # Existing professionals get distinct colours rather than all the same blue.
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM staff ORDER BY id"))]
    for i, staff_id in enumerate(ids):
        conn.execute(sa.text("UPDATE staff SET color = :c WHERE id = :i"),
                     {"c": PALETTE[i % len(PALETTE)], "i": staff_id})


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch_op:
        batch_op.drop_column("color")
