"""Reminders by phone call and by push: each client's consent to both, the
phones that subscribed to notifications, and the message a reminder falls back
from (a call nobody answered).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# A table SQLite rebuilds keeps AUTOINCREMENT (0007: ids never reused).
KEPT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table("client", table_kwargs=KEPT) as batch:
        batch.add_column(sa.Column("voice_consent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("push_consent_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("outbox", table_kwargs=KEPT) as batch:
        batch.add_column(sa.Column("fallback_of", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_outbox_fallback_of", "outbox", ["fallback_of"], ["id"])
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("p256dh", sa.String(), nullable=False),
        sa.Column("auth", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.Column("dropped_at", sa.DateTime(), nullable=True),
        sa.Column("dropped_reason", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_push_subscription_client_id", "push_subscription", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_push_subscription_client_id", table_name="push_subscription")
    op.drop_table("push_subscription")
    with op.batch_alter_table("outbox", table_kwargs=KEPT) as batch:
        batch.drop_constraint("fk_outbox_fallback_of", type_="foreignkey")
        batch.drop_column("fallback_of")
    with op.batch_alter_table("client", table_kwargs=KEPT) as batch:
        batch.drop_column("push_consent_at")
        batch.drop_column("voice_consent_at")
