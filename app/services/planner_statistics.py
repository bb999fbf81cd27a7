"""SQLite's statistics on the practice's indexes (its ANALYZE), kept roughly current.

Without them SQLite's query planner judges an index by its shape alone: it takes
"sessions of one status" for a handful of rows, as selective as "sessions of one
client", and on 100,000 sessions it read 70,000 of them to list the first 200
completed ones by client (150 ms) instead of walking the clients in order (8 ms).
SQLite's own advice is to run ANALYZE from time to time, and again when the data
has grown (https://sqlite.org/lang_analyze.html). The practice's server keeps its
statistics itself (PostgreSQL's autovacuum runs ANALYZE)."""

from __future__ import annotations

import logging

from sqlalchemy import Connection

from app.services.practice import Practice

log = logging.getLogger(__name__)

# Read again when the sessions have become this many times more, or fewer.
GROWTH = 2
# The index whose statistics say how many sessions there were when last read.
MEASURED_BY = "ix_appointment_start"


def refresh_if_due(p: Practice) -> bool:
    """Run ANALYZE when the file has no statistics or its sessions have grown or
    shrunk GROWTH-fold since they were gathered. Returns whether it ran. ~50 ms on
    100,000 sessions, holding the write lock (a booking waits that long); meant
    for a worker thread after the window is shown. Raises DatabaseUnavailable as
    any write."""
    if p.db.on_server:
        return False
    with p.db.read() as s:  # judged without the write lock: most starts find nothing due
        conn = s.connection()
        sessions = int(conn.exec_driver_sql("SELECT count(*) FROM appointment").scalar_one())
        counted = sessions_counted(conn)
    if counted is not None and counted // GROWTH <= sessions <= max(counted, 1) * GROWTH:
        return False
    with p.db.write() as s:
        s.connection().exec_driver_sql("ANALYZE")
    log.info("index statistics gathered (%d sessions; before: %s)", sessions, counted)
    return True


def sessions_counted(conn: Connection) -> int | None:
    """How many sessions the file held when its statistics were last gathered
    (a count without reading them: ~30 µs against ~4 ms for count(*) on 100,000);
    None without statistics, or on the practice's server."""
    if conn.dialect.name != "sqlite" or not _has_statistics(conn):
        return None
    known = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE idx = ?",
                                 (MEASURED_BY,)).scalar()
    # "rows in the index, then rows per distinct key": the first is the count.
    return int(str(known).split()[0]) if known else None


def _has_statistics(conn: Connection) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first()
    return found is not None
