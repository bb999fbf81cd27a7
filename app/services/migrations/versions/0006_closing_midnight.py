"""Hours that close at midnight: an interval's end of 24:00 was stored as 23:59:59,
which refused a session ending at midnight and showed 23:59. An end of 00:00 now
means the day's closing midnight.

Revision ID: 0006
Revises: 0005
"""
from datetime import time

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD, _NEW = time(23, 59, 59), time(0, 0)


def _rewrite(table: str, column: str, old: time, new: time) -> None:
    op.get_bind().execute(
        sa.text(f'UPDATE {table} SET "{column}" = :new WHERE "{column}" = :old').bindparams(
            sa.bindparam("new", new, type_=sa.Time()), sa.bindparam("old", old, type_=sa.Time())))


def upgrade() -> None:
    _rewrite("working_hours", "end", _OLD, _NEW)
    _rewrite("service", "bookable_until", _OLD, _NEW)


def downgrade() -> None:
    _rewrite("working_hours", "end", _NEW, _OLD)
    _rewrite("service", "bookable_until", _NEW, _OLD)
