"""The last check of each channel from Integrações (Testar, Conectar) and its
result, for the overview of whether the practice can reach its clients.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_check",
        sa.Column("channel", sa.String(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("said", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_table("channel_check")
