"""WhatsApp templates read from Meta: Meta's id, category, status (and why),
the category Meta moved it from, its buttons, and when it was last read.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_template") as batch_op:
        batch_op.add_column(sa.Column("meta_id", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("status", sa.String(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("status_reason", sa.String(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("previous_category", sa.String(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("buttons", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("read_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_message_template_meta_id", ["meta_id"])


def downgrade() -> None:
    with op.batch_alter_table("message_template") as batch_op:
        batch_op.drop_index("ix_message_template_meta_id")
        for column in ("read_at", "buttons", "previous_category", "status_reason", "status",
                       "category", "meta_id"):
            batch_op.drop_column(column)
