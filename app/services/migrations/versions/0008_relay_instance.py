"""A relay event is known by its relay and its id. A relay moved to a new database
(SQLite to PostgreSQL, a rebuilt server) numbers its events from 1 again: recorded
by id alone, a client's new answer looked like one already applied and was
acknowledged and lost. Events recorded before have the relay "" (one that
predates naming itself).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = "id, kind, appointment_id, received_at, outcome, sealed"


def _event_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """The columns 0004 made, as they are in both shapes."""
    return [sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("appointment_id", sa.Integer(), nullable=True),
            sa.Column("received_at", sa.DateTime(), nullable=False),
            sa.Column("outcome", sa.String(), nullable=False),
            sa.Column("sealed", sa.LargeBinary(), nullable=True)]


def upgrade() -> None:
    op.create_table("relay_event_new", sa.Column("relay", sa.String(), nullable=False),
                    *_event_columns(), sa.PrimaryKeyConstraint("relay", "id"))
    op.execute(f"INSERT INTO relay_event_new (relay, {COLUMNS}) "
               f"SELECT '', {COLUMNS} FROM relay_event")
    op.drop_table("relay_event")
    op.rename_table("relay_event_new", "relay_event")


def downgrade() -> None:
    op.create_table("relay_event_old", *_event_columns(), sa.PrimaryKeyConstraint("id"))
    # One row an id: the newest relay's, where two relays used the same id.
    op.execute(f"INSERT INTO relay_event_old ({COLUMNS}) "
               f"SELECT {COLUMNS} FROM relay_event ORDER BY received_at DESC "
               "ON CONFLICT (id) DO NOTHING")
    op.drop_table("relay_event")
    op.rename_table("relay_event_old", "relay_event")
