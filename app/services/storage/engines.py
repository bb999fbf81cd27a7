"""The two engines' differences, in one place: how a connection is set up, how a
write transaction begins, and which locks keep several writers apart.

- SQLite (a practice of one): WAL, foreign keys, a busy timeout; a write takes
  the file's write lock up front (BEGIN IMMEDIATE), so writers queue.
- PostgreSQL (a practice of several computers): every session in UTC; a write
  takes the practice's write lock (a transaction-level advisory lock) at its
  start, so writers queue as they do on SQLite and every rule the services
  check before writing (a free slot, a client not yet on file, an outbox key)
  still holds when they write. Readers never wait (MVCC).
  https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text

BUSY_TIMEOUT_MS = 15_000
CONNECT_TIMEOUT_S = 5
# Advisory lock keys: (PRACTICE, what). One namespace so no other program's
# locks on the same server can collide with ours.
PRACTICE = 0x50724473  # "PrDs"
WRITE_LOCK = 1  # a transaction that changes data
UPGRADE_LOCK = 2  # a schema upgrade: one computer at a time
SENDER_LOCK = 3  # the worker that sends: one computer of the practice
# The server's own refusal of two sessions of one professional at once
# (migration 0013).
NO_OVERLAP = "appointment_no_overlap"


def is_server(url: URL | str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def sqlite_url(path: Any) -> URL:
    return URL.create("sqlite", database=str(path))  # any file name, '#' and '?' included


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    writing = conn.get_execution_options().get("practice_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _server_begin(conn: Any) -> None:
    # psycopg opens the transaction with the first statement: this one.
    if conn.get_execution_options().get("practice_write", False):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PRACTICE}, {WRITE_LOCK})")


def make_engine(url: URL | str) -> Engine:
    """An engine for a SQLite file's URL or a PostgreSQL server's
    (postgresql+psycopg://user@host/db). Statements' values never reach an error
    message (they are clients' names and notes)."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            hide_parameters=True)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"unsupported database: {url.get_backend_name()}")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(
        url, hide_parameters=True, pool_pre_ping=True, pool_size=4, max_overflow=4,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "Practice Desk",
                      "options": "-c timezone=UTC -c lock_timeout=15000"})
    event.listen(engine, "begin", _server_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, for transactions that change data (see the module's note)."""
    return engine.execution_options(practice_write=True)


def reserve_ids(conn: Connection, table: str, count: int) -> int:
    """The first of `count` ids that no row of `table` ever had — above those it
    holds and above every id its counter handed out (SQLite's sqlite_sequence,
    the server's sequence: a restore carries both forward). Called inside the
    practice's write lock, so nobody else takes them; the rows are then inserted
    with these ids. On the server the sequence is moved past them at once (a
    sequence does not roll back: an import that fails leaves a gap, never a
    reused id)."""
    held = int(conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0)
    if conn.dialect.name == "sqlite":
        # SQLite moves sqlite_sequence past an id inserted explicitly.
        seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?",
                                   (table,)).scalar()
        return max(held, int(seq or 0)) + 1
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                            {"t": table}).scalar()
    last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
    first = max(held, int(last) if called else 0) + 1
    if count > 0:
        conn.execute(text("SELECT setval(CAST(:q AS regclass), :v, true)"),
                     {"q": sequence, "v": first + count - 1})
    return first


def where(url: URL) -> str:
    """A server's host[:port]/database as people read it (never a password)."""
    port = f":{url.port}" if url.port else ""
    return f"{url.host or 'localhost'}{port}/{url.database}"


def connection_of_its_own(url: URL, application_name: str, **options: Any) -> Any:
    """A plain psycopg connection to the practice's server outside the pool, in
    autocommit: for what must live as long as it does (a LISTEN, a session
    advisory lock). `options` are libpq's (keepalives, options)."""
    import psycopg

    return psycopg.connect(
        host=url.host, port=url.port or 5432, dbname=url.database, user=url.username,
        password=url.password, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
        application_name=application_name, **options)
