"""A practice shared by several computers.

- `change_log`: every committed change leaves a row (what changed, ids only), in
  the same transaction; the other computers read it from where they were.
- A version on the rows people edit in forms (sessions, clients, attendances,
  settings, services, professionals): a form saved over another computer's
  change is refused instead of overwriting it.
- `overlap_allowed` on sessions booked over another on purpose (override); on
  PostgreSQL the database itself then refuses any other overlap of one
  professional's occupied time (an exclusion constraint), whichever computer
  writes it. Sessions that overlap from before are marked, so the constraint
  holds for the data as it is.

Revision ID: 0013
Revises: 0012
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

VERSIONED = ("appointment", "client", "attendance", "practice_settings", "config", "service",
             "staff")
OCCUPYING = ("scheduled", "confirmed", "completed", "no_show")
NO_OVERLAP = "appointment_no_overlap"


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_change_log_at", "change_log", ["at"])
    for table in VERSIONED:
        with op.batch_alter_table(table, table_kwargs=_kept(table)) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False,
                                       server_default="1"))
    with op.batch_alter_table("appointment", table_kwargs=_kept("appointment")) as batch:
        batch.add_column(sa.Column("overlap_allowed", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    _mark_overlaps()
    if op.get_bind().dialect.name == "postgresql":
        _no_overlap_on_the_server()


def _kept(table: str) -> dict[str, bool]:
    """A table SQLite rebuilds keeps AUTOINCREMENT (0007: ids never reused)."""
    return {} if table == "config" else {"sqlite_autoincrement": True}


def _mark_overlaps() -> None:
    """Sessions booked over another before (an override) are marked, one of each
    overlapping pair, so the unmarked never overlap."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, staff_id, start, duration_minutes, buffer_before_minutes, "
        "buffer_after_minutes FROM appointment WHERE status IN "
        "('scheduled', 'confirmed', 'completed', 'no_show') ORDER BY staff_id, start, id"
    )).all()
    marked: list[int] = []
    kept: dict[int, list[tuple[object, object]]] = {}
    for ident, staff, start, minutes, before, after in rows:
        if isinstance(start, str):
            from datetime import datetime

            start = datetime.fromisoformat(start)
        lo = start - timedelta(minutes=before)
        hi = start + timedelta(minutes=minutes + after)
        taken = kept.setdefault(staff, [])
        if any(lo < other_hi and other_lo < hi for other_lo, other_hi in taken):
            marked.append(ident)
        else:
            taken.append((lo, hi))
    for ident in marked:
        conn.execute(sa.text("UPDATE appointment SET overlap_allowed = :t WHERE id = :i"),
                     {"t": True, "i": ident})


def _no_overlap_on_the_server() -> None:
    """The exclusion constraint needs btree_gist (a trusted extension since
    PostgreSQL 13: the database's owner may install it). Without it the
    services' own check, under the practice's write lock, still refuses every
    overlap; the constraint is the second line.
    https://www.postgresql.org/docs/current/btree-gist.html"""
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
    except sa.exc.DBAPIError:
        import logging

        logging.getLogger(__name__).warning(
            "btree_gist could not be installed on the practice's server: the database "
            "itself will not refuse overlapping sessions (the app still does)")
        return
    occupying = ", ".join(f"'{s}'" for s in OCCUPYING)
    conn.exec_driver_sql(
        f"ALTER TABLE appointment ADD CONSTRAINT {NO_OVERLAP} EXCLUDE USING gist ("
        "staff_id WITH =, "
        "tsrange(start - make_interval(mins => buffer_before_minutes), "
        "start + make_interval(mins => duration_minutes + buffer_after_minutes), '[)') WITH &&"
        f") WHERE (status IN ({occupying}) AND NOT overlap_allowed) "
        "DEFERRABLE INITIALLY DEFERRED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE appointment DROP CONSTRAINT IF EXISTS {NO_OVERLAP}")
    with op.batch_alter_table("appointment", table_kwargs=_kept("appointment")) as batch:
        batch.drop_column("overlap_allowed")
    for table in VERSIONED:
        with op.batch_alter_table(table, table_kwargs=_kept(table)) as batch:
            batch.drop_column("version")
    op.drop_index("ix_change_log_at", table_name="change_log")
    op.drop_table("change_log")
