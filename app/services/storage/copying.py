"""A whole practice copied between the engines, row for row, ids kept: a SQLite
practice moved to the practice's server (`practice database move-to`), and the
server's practice copied into a SQLite file (a backup, the copy before an
upgrade) or back from one (a restore).

The copy is read in one snapshot (REPEATABLE READ on the server), written in one
transaction, then read back: every table's row count and a digest of its rows
must match, or the copy is refused. Id counters are carried over, so an id handed
out before the copy (in a confirmation link, a message's Message-ID) is never
handed out again after it."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    inspect,
    select,
    text,
)

from app.i18n import _
from app.services.errors import InvalidInput
from app.services.storage import engines

log = logging.getLogger(__name__)

BATCH = 2000
SKIPPED = frozenset({"alembic_version", "sqlite_sequence"})


@dataclass(frozen=True)
class TableCopy:
    name: str
    rows: int
    digest: str


def _tables(conn: Connection) -> list[Table]:
    """The practice's tables in an order that respects foreign keys."""
    meta = MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name not in SKIPPED]


def _normal(value: Any) -> Any:
    # Both engines' values as one form: SQLite keeps no time zone and no
    # sub-type; the server's timestamps come back without one too.
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    # Per statement: a connection's execution_options would change it for good.
    result = conn.execute(select(table).order_by(*order), execution_options={"yield_per": BATCH})
    for row in result.mappings():
        yield dict(row)


def _digest(conn: Connection, table: Table) -> TableCopy:
    h, n = hashlib.sha256(), 0
    names = sorted(c.name for c in table.columns)
    for row in _rows(conn, table):
        h.update(repr(tuple(_normal(row[c]) for c in names)).encode())
        n += 1
    return TableCopy(table.name, n, h.hexdigest())


def digests(conn: Connection) -> dict[str, TableCopy]:
    """Each table's row count and digest (sha256 of its rows in key order)."""
    return {t.name: _digest(conn, t) for t in _tables(conn)}


def _snapshot(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _counters(conn: Connection) -> dict[str, int]:
    """Each table's id counter: the highest id ever handed out."""
    out: dict[str, int] = {}
    if conn.dialect.name == "sqlite":
        if inspect(conn).has_table("sqlite_sequence"):
            out = {str(n): int(s) for n, s in conn.exec_driver_sql(
                "SELECT name, seq FROM sqlite_sequence")}
        return out
    for table in _tables(conn):
        if "id" not in table.columns:
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                           {"t": table.name}).scalar()
        if seq:
            value, called = conn.exec_driver_sql(
                f"SELECT last_value, is_called FROM {seq}").one()
            out[table.name] = int(value) if called else 0
    return out


def _set_counters(conn: Connection, counters: dict[str, int]) -> None:
    for table in _tables(conn):
        if "id" not in table.columns:
            continue
        held = int(conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1))
                   .scalar() or 0)
        floor = max(held, counters.get(table.name, 0))
        if conn.dialect.name == "sqlite":
            if not inspect(conn).has_table("sqlite_sequence") or floor == 0:
                continue
            conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name})
            conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :s)"),
                         {"t": table.name, "s": floor})
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                           {"t": table.name}).scalar()
        if seq:
            conn.execute(text("SELECT setval(CAST(:q AS regclass), :v, :c)"),
                         {"q": seq, "v": max(floor, 1), "c": floor > 0})


def copy_rows(source: Connection, target: Connection, *, replace: bool = False) -> None:
    """Every row of `source`'s practice into `target`'s, which has the same schema
    revision; both connections inside their transactions. `replace`: the target's
    rows are removed first (a restore); otherwise the target must be empty. Then
    the digests are compared. Raises InvalidInput when the schemas differ, the
    target holds data, or the copy does not read back the same."""
    here, there = _revision(source), _revision(target)
    if here != there:
        raise InvalidInput(_("The copy's schema ({there}) is not the practice's ({here}); "
                             "nothing was copied.").format(there=there, here=here))
    tables = {t.name: t for t in _tables(target)}
    if replace:
        for table in reversed(list(tables.values())):
            target.execute(table.delete())
    elif any(target.execute(select(t).limit(1)).first() for t in tables.values()):
        raise InvalidInput(_("The practice's server already holds a practice; nothing was "
                             "copied. Use an empty database."))
    for table in _tables(source):
        into = tables.get(table.name)
        if into is None:
            raise InvalidInput(_("The copy has a table the practice has not ({name}); "
                                 "nothing was copied.").format(name=table.name))
        # A row may refer to a later row of its own table (a rescheduled session to
        # the session it became): those references are written once every row is in.
        own = sorted(fk.parent.name for fk in into.foreign_keys if fk.column.table is into)
        later: list[dict[str, Any]] = []
        batch: list[dict[str, Any]] = []
        for row in _rows(source, table):
            if own and any(row.get(c) is not None for c in own):
                later.append({**{f"k_{c.name}": row[c.name] for c in into.primary_key},
                              **{f"v_{c}": row[c] for c in own}})
                row = {**row, **dict.fromkeys(own)}
            batch.append(row)
            if len(batch) >= BATCH:
                target.execute(into.insert(), batch)
                batch = []
        if batch:
            target.execute(into.insert(), batch)
        if later:
            target.execute(into.update().where(*(c == bindparam(f"k_{c.name}")
                                                 for c in into.primary_key))
                           .values({c: bindparam(f"v_{c}") for c in own}), later)
    _set_counters(target, _counters(source))
    before, after = digests(source), digests(target)
    if before != after:
        wrong = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
        log.error("a copy of the practice read back differently: %s", ", ".join(wrong))
        raise InvalidInput(_("The copy did not read back the same ({tables}); nothing was "
                             "copied.").format(tables=", ".join(wrong)))


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def server_to_file(engine: Engine, target: Path) -> None:
    """The server's practice, as one snapshot, into a new SQLite file at the same
    schema revision (see `snapshot_to_file`)."""
    with engine.connect() as src, src.begin():
        _snapshot(src)
        snapshot_to_file(src, target)


def snapshot_to_file(src: Connection, target: Path) -> None:
    """What `src` (a server's connection inside its transaction) sees, into a new
    SQLite file at the same schema revision, readable by its owner only. The
    file appears only once complete and read back."""
    from alembic import command

    from app.services import migrate
    from app.services.files import private_file

    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    private_file(partial)
    file_engine = engines.make_engine(engines.sqlite_url(partial))
    try:
        cfg = migrate.alembic_config()
        with file_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, _revision(src) or "base")
        with file_engine.connect() as dst, dst.begin():
            copy_rows(src, dst)
        file_engine.dispose()
        one = sqlite3.connect(partial, isolation_level=None)  # one file, no -wal beside it
        try:
            one.execute("PRAGMA journal_mode=DELETE")
        finally:
            one.close()
    except BaseException:
        file_engine.dispose()
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in
                                    ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        raise
    partial.replace(target)


def file_to_server(source: Path, engine: Engine) -> None:
    """A SQLite practice (at the server's schema revision) onto an empty server,
    in one transaction that takes the practice's write lock; a failure leaves
    the server as it was. The file is only read."""
    with engines.writer(engine).connect() as dst, dst.begin():
        rows_from_file(source, dst)


def rows_from_file(source: Path, dst: Connection, *, replace: bool = False) -> None:
    """`copy_rows` from a SQLite file, opened read-only, into `dst`."""
    from app.services.schema_check import read_only_uri

    def opener() -> sqlite3.Connection:
        return sqlite3.connect(read_only_uri(source, closed=True), uri=True,
                               check_same_thread=False)

    reader = create_engine("sqlite://", creator=opener)
    try:
        with reader.connect() as src, src.begin():
            copy_rows(src, dst, replace=replace)
    finally:
        reader.dispose()
