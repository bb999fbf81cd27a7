"""What a client reads is in the client's language: a language on each client
("" follows the practice's), and the practice's address for its e-mails.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("client") as batch:
        batch.add_column(sa.Column("language", sa.String(), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("practice_settings") as batch:
        batch.add_column(sa.Column("address", sa.String(), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("practice_settings") as batch:
        batch.drop_column("address")
    with op.batch_alter_table("client") as batch:
        batch.drop_column("language")
