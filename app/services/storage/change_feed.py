"""The change feed: how every computer (and every process on one computer) learns
what the others changed, within a second.

Writing: each unit of work that changes data leaves `change_log` rows (what
changed, ids only) in its own transaction — the ORM's writes are noticed as
they are flushed, bulk writes say theirs with `note()` — and, on the server, a
NOTIFY with the newest row's id, which PostgreSQL delivers only if the
transaction commits. Rows people edit in forms get their version raised here too.

Reading: `Watcher.check()` reads the log from where it was, skips this process's
own rows (its bus already announced them) and publishes the rest on the bus. On
SQLite it first asks `PRAGMA data_version` whether anyone committed; on the
server `Watcher.follow()` waits for the NOTIFY on a connection of its own, and
reconnects by itself. A computer away for longer than the log is kept (see
`prune`) reloads everything.
https://www.postgresql.org/docs/current/sql-notify.html
https://www.sqlite.org/pragma.html#pragma_data_version
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time as wall
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from app import models
from app.models import plain_tables
from app.services.errors import PracticeError
from app.services.events import Change
from app.services.storage import engines

if TYPE_CHECKING:
    from app.services.database import Database

log = logging.getLogger(__name__)

CHANNEL = "practice_changes"  # the NOTIFY channel
ORIGIN = "practice_origin"  # Session.info: the writing process's token; absent: not logged
PENDING = "practice_changes"  # Session.info: what this transaction changed so far
KEEP = timedelta(days=7)  # how long the log is kept (see prune)
ALL = "all"  # a kind: everything may have changed (a restore)
SQLITE_LOOK_S = 0.2  # how often a SQLite watcher asks data_version
SERVER_WAIT_S = 5.0  # the longest a server watcher waits for a NOTIFY before looking

# Tables are named (`__tablename__`), not imported: the feed then builds no table
# a command does not use (a row of a table exists only once its module is loaded).
# Rows people edit in forms: their version is raised by each change.
VERSIONED = frozenset({"appointment", "client", "attendance", "practice_settings", "config",
                       "service", "staff"})
# Tables whose rows say their own id, by the kind of change they are.
_OWN_ID = {"appointment": "appointment", "client": "client", "service": "service",
           "staff": "staff", "attendance": "conversation"}
# Rows of a conversation, by their attendance.
_OF_CONVERSATION = frozenset({"conversation_entry", "attendance_tag"})
# The practice's settings and channels: the settings changed.
_SETTINGS = frozenset({"practice_settings", "config", "working_hours", "message_template",
                       "channel_check"})
_FIELDS = ("appointments", "clients", "services", "staff", "conversations")
_KINDS = {"appointment": "appointments", "client": "clients", "service": "services",
          "staff": "staff", "conversation": "conversations"}


@dataclass
class _Pending:
    ids: dict[str, set[int]] = field(default_factory=lambda: {k: set() for k in _KINDS})
    settings: bool = False
    everything: bool = False
    entries: set[int] = field(default_factory=set)  # conversation entries, mapped at commit

    def __bool__(self) -> bool:
        return self.settings or self.everything or bool(self.entries) or any(
            self.ids.values())


def new_origin() -> str:
    """A token naming one open practice (one process's connection to the data)."""
    return uuid.uuid4().hex[:16]


def _pending(session: Session) -> _Pending:
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = _Pending()
    assert isinstance(found, _Pending)
    return found


def note(session: Session, change: Change) -> None:
    """Log what a bulk write (one the ORM does not see) changed, with this
    transaction."""
    if ORIGIN not in session.info:
        return
    pending = _pending(session)
    for kind, name in _KINDS.items():
        pending.ids[kind].update(i for i in getattr(change, name) if i > 0)
        if any(i <= 0 for i in getattr(change, name)):
            pending.everything = True
    pending.settings |= change.settings


def note_everything(session: Session) -> None:
    """Every other computer reloads everything (the practice was restored)."""
    if ORIGIN in session.info:
        _pending(session).everything = True


def _table(obj: object) -> str:
    return str(getattr(type(obj), "__tablename__", ""))


def _noticed(pending: _Pending, obj: Any) -> None:
    ids, table = pending.ids, _table(obj)
    kind = _OWN_ID.get(table)
    if kind is not None:
        if obj.id is not None:
            ids[kind].add(obj.id)
    elif table in _OF_CONVERSATION:
        ids["conversation"].add(obj.attendance_id)
    elif table == "outbox":
        if obj.appointment_id:
            ids["appointment"].add(obj.appointment_id)
        if obj.conversation_entry_id:
            pending.entries.add(obj.conversation_entry_id)
    elif table == "client_request":
        ids["appointment"].add(obj.appointment_id)
    elif table in _SETTINGS:
        pending.settings = True


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.dirty:
        if _table(obj) in VERSIONED and session.is_modified(obj, include_collections=False):
            obj.version = (obj.version or 1) + 1


def _after_flush(session: Session, _context: Any) -> None:
    if ORIGIN not in session.info:
        return
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        _noticed(pending, obj)


def _before_commit(session: Session) -> None:
    origin = session.info.get(ORIGIN)
    if origin is None:
        return
    session.flush()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    conn = session.connection()
    if pending.entries:  # an outbox row of a conversation: Conecta's tables are loaded
        from app.models.conecta import ConversationEntry

        pending.ids["conversation"].update(conn.execute(
            select(col(ConversationEntry.attendance_id)).where(
                col(ConversationEntry.id).in_(sorted(pending.entries)))).scalars())
    now = datetime.now(UTC)  # the computers' real time: the log is pruned by it
    rows: list[dict[str, object]] = [
        {"at": now, "origin": origin, "kind": kind, "entity_id": i}
        for kind, found in pending.ids.items() for i in sorted(found)]
    if pending.settings:
        rows.append({"at": now, "origin": origin, "kind": "settings", "entity_id": None})
    if pending.everything:
        rows.append({"at": now, "origin": origin, "kind": ALL, "entity_id": None})
    # Straight through the driver: an import of 10,000 sessions logs as many rows,
    # and the Core insert's per-row parameter handling cost more than the rows.
    from app.services.database import bulk_insert  # database imports this module

    bulk_insert(session, models.ChangeLogEntry, rows)
    if conn.dialect.name == "postgresql":
        newest = conn.execute(select(func.max(col(models.ChangeLogEntry.id)))).scalar()
        conn.exec_driver_sql("SELECT pg_notify(%s, %s)", (CHANNEL, str(newest)))


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    """Registers the listeners once per process."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


def prune(db: Database, now: datetime | None = None) -> int:
    """Removes log rows older than KEEP (a computer away longer reloads
    everything); returns how many."""
    before = (now or datetime.now(UTC)) - KEEP
    with db.write() as s:
        entry = models.ChangeLogEntry
        result = s.execute(delete(entry).where(col(entry.at) < before))
        return int(getattr(result, "rowcount", 0) or 0)


class Watcher:
    """What other processes and computers committed, announced on this
    practice's bus. `check()` looks once; `follow()` keeps looking until told to
    stop (on its own thread)."""

    def __init__(self, db: Database, publish: Callable[[Change], None]) -> None:
        """Touches nothing: the first check() (off the GUI thread) takes the
        watermark."""
        self.db = db
        self.publish = publish
        self._last: int | None = None
        self._version_conn: sqlite3.Connection | None = None
        self._version = -1
        self.online = True

    @property
    def following(self) -> bool:
        """The watermark is taken: what others commit from now on is announced."""
        return self._last is not None

    def close(self) -> None:
        if self._version_conn is not None:
            self._version_conn.close()
            self._version_conn = None

    def _changed_on_file(self) -> bool:
        """SQLite: whether any other connection committed since the last look."""
        if self._version_conn is None:
            assert self.db.path is not None
            self._version_conn = sqlite3.connect(self.db.path, check_same_thread=False)
        version = int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])
        if version == self._version:
            return False
        self._version = version
        return True

    def check(self) -> Change:
        """What others committed since the last call, published (an empty Change
        when nothing). The first call only takes the watermark."""
        if not self.db.on_server and not self._changed_on_file() and self._last is not None:
            return Change()
        entries = plain_tables.change_log  # no table class needed to read it
        with self.db.read() as s:
            if self._last is None:
                self._last = int(s.scalar(select(func.max(entries.c.id))) or 0)
                return Change()
            oldest = s.scalar(select(func.min(entries.c.id)))
            c = entries.c
            rows = s.execute(select(c.id, c.origin, c.kind, c.entity_id)
                             .where(c.id > self._last).order_by(c.id)).all()
        gap = oldest is not None and oldest > self._last + 1 and self._last > 0
        change = _change_of(((o, k, i) for _id, o, k, i in rows), self.db.origin, gap)
        if rows:
            self._last = max(int(r[0] or 0) for r in rows)
        if change:
            self.publish(change)
        return change

    def follow(self, stop: threading.Event,
               on_state: Callable[[bool, str], None] = lambda _online, _said: None) -> None:
        """Look until `stop` is set: on SQLite every SQLITE_LOOK_S; on the server
        at each NOTIFY (and every SERVER_WAIT_S, in case one was missed). A lost
        server is waited for and reconnected to; `on_state(False, why)` (one
        sentence: away, or refusing this computer's login) then `on_state(True, "")`
        say so. Nothing is missed: the log is read from where this watcher was."""
        if not self.db.on_server:
            while not stop.wait(SQLITE_LOOK_S):
                self._look(on_state)
            return
        delay, said = 1.0, ""
        while not stop.is_set():
            try:
                self._listen(stop, on_state)
                delay = 1.0
            except Exception as exc:  # any loss of the server: wait, then reconnect
                why = _why(exc, self.db.where)
                if self.online or why != said:  # lost, or lost for another reason now
                    log.warning("the practice's server is out of reach (%s); waiting",
                                type(exc).__name__)
                    self.online, said = False, why
                    on_state(False, why)
                stop.wait(delay)
                delay = min(delay * 2, 15.0)

    def _look(self, on_state: Callable[[bool, str], None]) -> None:
        try:
            self.check()
        except Exception as exc:  # said once, then retried
            if self.online:
                log.warning("changes could not be read (%s)", type(exc).__name__)
                self.online = False
                on_state(False, str(exc) if isinstance(exc, PracticeError) else "")
            return
        if not self.online:
            self.online = True
            on_state(True, "")

    def _listen(self, stop: threading.Event, on_state: Callable[[bool, str], None]) -> None:
        with engines.connection_of_its_own(self.db.url, "Practice Desk (changes)") as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.check()  # what happened while not listening
            if not self.online:
                log.info("the practice's server is back")
                self.online = True
                on_state(True, "")
            while not stop.is_set():
                for _notice in conn.notifies(timeout=SERVER_WAIT_S, stop_after=1):
                    break
                if stop.is_set():
                    return
                self.check()
                wall.sleep(0)  # let a burst of notices gather in one look


def _why(exc: Exception, where: str) -> str:
    """The sentence for a lost server (storage's server_error: away, login refused,
    no such database), whatever raised it (psycopg itself, or SQLAlchemy)."""
    from app.services.database import server_error

    if isinstance(exc, PracticeError):
        return str(exc)
    if isinstance(exc, DBAPIError):
        return str(server_error(exc, where))
    return str(server_error(DBAPIError(None, None, exc), where))


def _change_of(rows: Iterable[tuple[str, str, int | None]], own: str, gap: bool) -> Change:
    ids: dict[str, set[int]] = {name: set() for name in _FIELDS}
    settings = everything = gap
    for origin, kind, entity_id in rows:
        if origin == own:
            continue
        if kind == ALL:
            everything = True
        elif kind == "settings":
            settings = True
        elif kind in _KINDS and entity_id is not None:
            ids[_KINDS[kind]].add(entity_id)
    if everything:  # -1: every view reloads (as after a restore)
        return Change.of(appointments=[-1], clients=[-1], services=[-1], staff=[-1],
                         conversations=[-1], settings=True)
    return Change.of(settings=settings, **ids)
