"""Ids are never used twice. A session's id is in its confirmation link and its
calendar event, a message's in the Message-ID that replies name: without
AUTOINCREMENT SQLite hands out max(id) + 1, so after a restore the next session
could take the id of one booked (and linked) before it. With AUTOINCREMENT the
high-water mark lives in sqlite_sequence, which a restore carries forward.

Also the queue of what the relay must be told about sessions whose links went
out (moved, cancelled), so an old link's page says so.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Every table with an id of its own; relay_event's ids are the relay's.
TABLES = ("practice_settings", "working_hours", "staff", "client", "service", "appointment",
          "audit_event", "outbox", "delivery_attempt", "client_request", "attendance",
          "conversation_entry", "message_template")


def upgrade() -> None:
    # PostgreSQL's sequences never hand an id out twice: only SQLite needs this.
    for table in TABLES if op.get_bind().dialect.name == "sqlite" else ():
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass
    op.create_table(
        "link_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("new_start", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        # No foreign key: after a restore it names sessions this database never had.
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_link_notice_pushed_at", "link_notice", ["pushed_at"])


def downgrade() -> None:
    op.drop_index("ix_link_notice_pushed_at", table_name="link_notice")
    op.drop_table("link_notice")
    for table in TABLES if op.get_bind().dialect.name == "sqlite" else ():
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": False}):
            pass
