"""Conecta: attendances, their tags and threads, WhatsApp templates, and the
outbox's link to the conversation message it sends.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("medium", sa.String(32), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("originator", sa.String(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("unread", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(), nullable=False),
        sa.Column("window_refused_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attendance") as batch_op:
        batch_op.create_index("ix_attendance_phone", ["phone"])
        batch_op.create_index("ix_attendance_email", ["email"])
        batch_op.create_index("ix_attendance_client_id", ["client_id"])
        batch_op.create_index("ix_attendance_status_activity", ["status", "last_activity_at"])
    op.create_table(
        "attendance_tag",
        sa.Column("attendance_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["attendance_id"], ["attendance.id"]),
        sa.PrimaryKeyConstraint("attendance_id", "tag"),
    )
    with op.batch_alter_table("attendance_tag") as batch_op:
        batch_op.create_index("ix_attendance_tag_tag", ["tag"])
    op.create_table(
        "conversation_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attendance_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template", sa.String(), nullable=True),
        sa.Column("template_language", sa.String(), nullable=True),
        sa.Column("template_params", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("provider_id", sa.String(), nullable=True),
        sa.Column("reply_to", sa.String(), nullable=True),
        sa.Column("call_seconds", sa.Integer(), nullable=True),
        sa.Column("call_outcome", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["attendance_id"], ["attendance.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversation_entry") as batch_op:
        batch_op.create_index("ix_conversation_entry_thread", ["attendance_id", "at"])
        batch_op.create_index("ix_conversation_entry_provider_id", ["provider_id"])
    op.create_table(
        "message_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parameter_labels", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("conversation_entry_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_outbox_conversation_entry_id", ["conversation_entry_id"])
        batch_op.create_foreign_key("fk_outbox_conversation_entry", "conversation_entry",
                                    ["conversation_entry_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_constraint("fk_outbox_conversation_entry", type_="foreignkey")
        batch_op.drop_index("ix_outbox_conversation_entry_id")
        batch_op.drop_column("conversation_entry_id")
    op.drop_table("message_template")
    op.drop_table("conversation_entry")
    op.drop_table("attendance_tag")
    op.drop_table("attendance")
