"""The client list read from an index alone, on SQLite.

A search scans every active client's folded name in order; reading it from the
table meant reading past each client's notes (a row of a few kilobytes spills
into overflow pages), which took a search on 5,000 clients with 2 KB of notes
each from ~1.5 ms to ~9 ms. The index holds what the list shows and filters on,
in the list's order. PostgreSQL keeps long text apart from its rows (TOAST), and
limits an index entry to about 2.7 kB, which a long name and e-mail could pass,
so the server has no such index.

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

NAME = "ix_client_directory"
COLUMNS = ["search_key", "id", "active", "name", "phone", "email"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(NAME, "client", COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(NAME, table_name="client")
