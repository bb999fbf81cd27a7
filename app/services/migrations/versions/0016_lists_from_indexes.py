"""Lists read from indexes, in their order, without reading the rows they pass over.

- The client list, on SQLite: a search scanned every active client's folded name
  from the table, reading past each client's notes (a row of a few kilobytes
  spills into overflow pages): a search on 5,000 clients with 2 kB of notes each
  took ~9 ms, ~1 ms from this index, which holds what the list shows and filters
  on, in the list's order. PostgreSQL keeps long text apart from its rows (TOAST)
  and limits an index entry to about 2.7 kB, which a long name and e-mail could
  pass, so the server has no such index.
- Sessões filtered by a status, in time order: the index on status alone left
  every session of that status to be read and sorted for a page of 200 (70,000
  held sessions: ~65 ms); on (status, start) a page is read in order.

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DIRECTORY = "ix_client_directory"
DIRECTORY_COLUMNS = ["search_key", "id", "active", "name", "phone", "email"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(DIRECTORY, "client", DIRECTORY_COLUMNS)
    op.drop_index("ix_appointment_status", table_name="appointment")
    op.create_index("ix_appointment_status_start", "appointment", ["status", "start"])


def downgrade() -> None:
    op.drop_index("ix_appointment_status_start", table_name="appointment")
    op.create_index("ix_appointment_status", "appointment", ["status"])
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(DIRECTORY, table_name="client")
