"""The SQLite database: one engine per file, WAL, foreign keys, a busy timeout,
short sessions, and write transactions that take the write lock up front
(BEGIN IMMEDIATE) so two writers queue instead of failing half-way."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.i18n import _
from app.services import kept_text
from app.services.errors import DatabaseUnavailable
from app.services.files import private_file

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _on_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("practice_begin", "BEGIN")
    conn.exec_driver_sql(mode)


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(path)),  # any file name, '#' and '?' included
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # An error's message (a locked database) goes to the log: without the
        # statement's values, which are clients' names and notes.
        hide_parameters=True,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


class Database:
    def __init__(self, path: Path) -> None:
        kept_text.install()  # names and messages are kept without what hides text
        self.path = path
        self.engine = make_engine(path)
        self._writer = self.engine.execution_options(practice_begin="BEGIN IMMEDIATE")

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work that changes data: all of it commits, or none."""
        with _translate_errors(), Session(self._writer, expire_on_commit=False) as session, \
                session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _translate_errors(), Session(self.engine, expire_on_commit=False) as session, \
                session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _translate_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "locked" in text or "busy" in text:
            raise DatabaseUnavailable(
                _("The database is busy in another program; try again in a moment.")) from None
        if "disk" in text or "full" in text:
            raise DatabaseUnavailable(
                _("The disk is full: free some space and try again.")) from None
        raise


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy using SQLite's online backup (safe while others write)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    private_file(target)  # a copy of health data: its owner's only
    src = sqlite3.connect(source)  # a plain path: never read as a URI
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


_PLAIN = frozenset({str, int, float, bytes})


def _stored(value: object) -> object:
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Enum):
        return value.value
    return value


def bulk_insert(session: Session, table: Any, rows: Sequence[Mapping[str, object]]) -> None:
    """Many rows straight through the driver's executemany: an import writes
    thousands, and the ORM's per-row bookkeeping would be most of its time. Values
    are stored as the column types store them (instants as naive UTC text, the
    format SQLAlchemy's DateTime reads back; enums by value); columns left out
    take their declared defaults."""
    if not rows:
        return
    given = list(rows[0])
    defaults = {c.name: c.default.arg for c in table.__table__.columns
                if c.name not in given and c.default is not None and c.default.is_scalar}
    names = given + list(defaults)
    sql = (f"INSERT INTO {table.__tablename__} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    fixed = tuple(_stored(v) for v in defaults.values())
    rows = [kept_text.kept_row(table, r) for r in rows]  # as the ORM would keep them
    session.connection().exec_driver_sql(
        sql, [tuple(_stored(r[n]) for n in given) + fixed for r in rows])
