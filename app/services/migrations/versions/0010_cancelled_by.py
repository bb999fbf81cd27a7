"""Who cancelled a session: the client (the practice's late-cancellation policy may
apply) or the practice itself (never charged to the client). Sessions cancelled
before this was asked say nothing (NULL).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("cancelled_by", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.drop_column("cancelled_by")
