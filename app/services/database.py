"""The practice's database, on either engine (storage.engines): short sessions,
and write transactions that take the write lock up front so two writers queue
instead of failing half-way; the engines' errors said as sentences."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from app.i18n import _
from app.services import kept_text
from app.services.errors import DatabaseUnavailable, InvalidInput, PracticeMoved, SchemaTooNew
from app.services.events import Change
from app.services.files import private_file
from app.services.storage import change_feed, engines

log = logging.getLogger(__name__)


def make_engine(path: Path) -> Engine:
    """A SQLite file's engine (a backup being checked, a copy)."""
    return engines.make_engine(engines.sqlite_url(path))


class Database:
    """The practice's database: a SQLite file (a path) or the practice's
    PostgreSQL server (a URL, see storage.engines)."""

    def __init__(self, target: Path | str | URL) -> None:
        kept_text.install()  # names and messages are kept without what hides text
        url = engines.sqlite_url(target) if isinstance(target, Path) else make_url(target)
        self.url = url
        self.on_server = engines.is_server(url)
        self.path: Path | None = None if self.on_server else Path(str(url.database))
        self.engine = engines.make_engine(url)
        self._writer = engines.writer(self.engine)
        # Names this open practice in the change feed: its own changes are not
        # announced back to it.
        self.origin = change_feed.new_origin()
        change_feed.install()
        # Set by open_practice: whether this computer now opens another database
        # (a sentence saying so), and the schema this version writes.
        self.moved: Callable[[], str | None] = lambda: None
        self.revision: str | None = None

    @property
    def where(self) -> str:
        """Where the data is, for a person: the file, or the server and database
        (never a password)."""
        return str(self.path) if self.path is not None else engines.where(self.url)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work that changes data: all of it commits, or none."""
        with _translate_errors(self), Session(self._writer, expire_on_commit=False) as session, \
                session.begin():
            session.info[change_feed.ORIGIN] = self.origin
            self._still_current(session)
            yield session

    def _still_current(self, session: Session) -> None:
        """A write goes only where this computer keeps the practice now, and only to
        a schema this version writes: a window left open while the practice moved
        to the server, or while a newer version upgraded the server, changes
        nothing (it would be lost, or send a reminder the new place sends too)."""
        moved = self.moved()
        if moved:
            raise PracticeMoved(moved)
        if self.on_server and self.revision is not None:
            found = session.connection().exec_driver_sql(
                "SELECT version_num FROM alembic_version").scalar()
            if found != self.revision:
                raise SchemaTooNew(_(
                    "The practice's server ({where}) was upgraded by a newer Practice Desk "
                    "(schema {revision}; this computer's writes {head}). Update Practice "
                    "Desk on this computer; nothing on the server was changed.").format(
                    where=self.where, revision=found, head=self.revision))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _translate_errors(self), Session(self.engine, expire_on_commit=False) as session, \
                session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _translate_errors(db: Database) -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", "") == \
                engines.NO_OVERLAP:
            raise InvalidInput(_(
                "Another session of this professional takes that time: it was booked from "
                "another computer a moment ago. Nothing was saved; choose another time.")
            ) from None
        raise
    except OperationalError as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if db.on_server:
            raise server_error(exc, db.where) from None
        if "locked" in text or "busy" in text:
            raise DatabaseUnavailable(
                _("The database is busy in another program; try again in a moment.")) from None
        if "disk" in text or "full" in text:
            raise DatabaseUnavailable(
                _("The disk is full: free some space and try again.")) from None
        raise


def server_error(exc: DBAPIError, where: str) -> DatabaseUnavailable:
    """What a person is told when the practice's server does not do what was asked:
    unreachable, refusing the login, or busy (a lock held too long). The reason
    goes to the log by its SQLSTATE, never with the statement's values."""
    code = getattr(exc.orig, "sqlstate", None) or _connection_refusal(exc)
    log.warning("the practice's server at %s: %s (%s)", where, type(exc.orig).__name__, code)
    if code == "28P01" or code == "28000":
        return DatabaseUnavailable(_(
            "The practice's server at {where} refused this computer's login: check the user "
            "and password in Settings › Database, then reopen.").format(where=where))
    if code == "3D000":
        return DatabaseUnavailable(_(
            "The practice's server has no database {where}: check its name.").format(where=where))
    if code in ("55P03", "40001", "40P01", "57014"):
        return DatabaseUnavailable(_(
            "The practice's server is busy with another computer's change; try again in a "
            "moment."))
    return DatabaseUnavailable(_(
        "The practice's server at {where} does not answer. Nothing was lost: check that the "
        "server's computer is on and on the network; an open window reconnects by itself.")
        .format(where=where))


def _connection_refusal(exc: DBAPIError) -> str:
    """The SQLSTATE a refused connection would have: libpq reports a failure to
    connect without one, only the server's words (in English unless the server's
    lc_messages says otherwise), so the two refusals a person can act on are
    told apart by them. "" when neither."""
    text = str(exc.orig)
    if "password authentication failed" in text or (
            'role "' in text and "does not exist" in text):
        return "28P01"
    if 'database "' in text and "does not exist" in text:
        return "3D000"
    return ""


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


_PLAIN = frozenset({str, int, float, bytes, type(None)})


def _stored(value: object) -> object:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        # SQLAlchemy's SQLite DateTime format (years padded to four digits);
        # isoformat writes it several times faster than strftime.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, Enum):
        return value.value
    return value


def _stored_column(values: list[object], store: Callable[[object], object]) -> list[object]:
    """One column's values as stored. A column of plain values is kept as it is;
    the same object (the import's `now` on every row) is converted once."""
    if set(map(type, values)) <= _PLAIN:
        return values
    done: dict[int, object] = {}  # by id: the list keeps every object alive meanwhile
    out = []
    for v in values:
        key = id(v)
        if key not in done:
            done[key] = store(v)
        out.append(done[key])
    return out


def bulk_insert(session: Session, table: Any, rows: Sequence[Mapping[str, object]]) -> None:
    """Many rows straight through the driver's executemany: an import writes
    thousands, and the ORM's per-row bookkeeping would be most of its time. Values
    are stored as the column types store them (instants as naive UTC text, the
    format SQLAlchemy's DateTime reads back; enums by value); columns left out
    take their declared defaults. Every row has the first row's keys. Converted
    column by column: per-value work is most of what it costs."""
    if not rows:
        return
    if kept_text.searched(table):  # new clients: each with its search key
        rows = [kept_text.with_search_key(table, r) for r in rows]
    given = list(rows[0])
    defaults = {c.name: c.default.arg for c in table.__table__.columns
                if c.name not in given and c.default is not None and c.default.is_scalar}
    names = given + list(defaults)
    sql = (f"INSERT INTO {table.__tablename__} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    _noted(session, table, rows)
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")  # psycopg's placeholders; names hold no '?'
        store = _stored_on_server
    else:
        store = _stored
    kept = kept_text.rules(table)  # as the ORM would keep them
    columns: list[list[object]] = []
    for name in given:
        values = [r[name] for r in rows]
        rule = kept.get(name)
        if rule is not None:
            values = [rule(v) if isinstance(v, str) else v for v in values]
        columns.append(_stored_column(values, store))
    columns += [[store(v)] * len(rows) for v in defaults.values()]
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _stored_on_server(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, Enum):
        return value.value
    return value


def _noted(session: Session, table: Any, rows: Sequence[Mapping[str, object]]) -> None:
    """What a bulk write changed, for the change feed (the ORM does not see it)."""
    name = table.__tablename__
    if name == "appointment":
        change_feed.note(session, Change.of(
            appointments=[int(str(r["id"])) for r in rows if r.get("id")],
            clients=[int(str(r["client_id"])) for r in rows if r.get("client_id")]))
    elif name == "client":
        change_feed.note(session, Change.of(clients=[int(str(r["id"])) for r in rows
                                                     if r.get("id")]))
    elif name == "outbox":
        change_feed.note(session, Change.of(
            appointments=[int(str(r["appointment_id"])) for r in rows
                          if r.get("appointment_id")]))
