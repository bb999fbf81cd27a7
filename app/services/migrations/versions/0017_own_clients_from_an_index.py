"""A professional's own clients read from an index.

Whether a professional may read another professional's internal notes depends
on whether the client is also theirs (app/services/people.py): every list of
sessions a professional reads asked for their clients, by scanning all of the
practice's sessions (~60 ms on 100,000, on each page of Sessões and each week
the agenda turned). On (staff_id, client_id, status) the clients of a page are
found from the index alone (~0.1 ms).

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

NAME = "ix_appointment_staff_client_status"


def upgrade() -> None:
    op.create_index(NAME, "appointment", ["staff_id", "client_id", "status"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="appointment")
