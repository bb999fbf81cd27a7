"""Searching names without case and accents, and a client list read from an index.

`client.search_key` and `attendance.search_key` keep each row's folded name and
e-mail (app.models.search_text: "João" is kept as "joao"), filled here for the
rows already written; every later write keeps it (services.kept_text). The
index on appointment (client_id, status, start) answers a client list's next
sessions and no-show counts without reading the sessions themselves.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

from app.models.search_text import search_key

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

KEPT = {"sqlite_autoincrement": True}
SEARCHED = ("client", "attendance")


def upgrade() -> None:
    for table in SEARCHED:
        with op.batch_alter_table(table, table_kwargs=KEPT) as batch:
            batch.add_column(sa.Column("search_key", sa.Text(), nullable=False,
                                       server_default=""))
    conn = op.get_bind()
    for table in SEARCHED:
        rows = conn.execute(sa.text(f"SELECT id, name, email FROM {table}")).all()
        if rows:
            conn.execute(sa.text(f"UPDATE {table} SET search_key = :key WHERE id = :id"),
                         [{"id": i, "key": search_key(name, email)} for i, name, email in rows])
    op.create_index("ix_appointment_client_status_start", "appointment",
                    ["client_id", "status", "start"])


def downgrade() -> None:
    op.drop_index("ix_appointment_client_status_start", table_name="appointment")
    for table in reversed(SEARCHED):
        with op.batch_alter_table(table, table_kwargs=KEPT) as batch:
            batch.drop_column("search_key")
