"""The relay's storage: events waiting for the desktop, the outcome of each
session's link (so a repeated tap can say "already confirmed"), and what the
desktop said of sessions whose links are out (moved, cancelled). Ids, kinds and
times only; anything a client wrote is sealed to the practice's key before it
gets here. SQLite by default, PostgreSQL through RELAY_DATABASE_URL. Every row
names its practice: one relay may serve several. The practices themselves are
rows too (relay_practice, read and written by relay.practices)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from relay.config import DEFAULT_PRACTICE

log = logging.getLogger("relay")

metadata = MetaData()

events = Table(
    "relay_event", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("practice", String(64), nullable=False, server_default=DEFAULT_PRACTICE),
    Column("kind", String(32), nullable=False),
    Column("appointment_id", Integer, nullable=True),
    Column("at", DateTime, nullable=False),
    Column("dedupe", String(128), nullable=False, unique=True),
    Column("sealed", LargeBinary, nullable=True),
    # A link's answer names the start the link was made for: the desktop applies
    # it only to the session as it still is.
    Column("session_start", DateTime, nullable=True),
    # Ids are the desktop's cursor and its record of what it applied: they must
    # never be reused after an acknowledged event is deleted (SQLite would, without).
    sqlite_autoincrement=True,
)
by_practice = Index("relay_event_practice", events.c.practice, events.c.id)

outcomes = Table(
    "relay_outcome", metadata,
    Column("practice", String(64), primary_key=True, server_default=DEFAULT_PRACTICE),
    Column("appointment_id", Integer, primary_key=True),
    Column("action", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
    # The start the answered link was made for: a session id the desktop hands out
    # again (a damaged database, a new computer) is another session, with no answer.
    Column("session_start", DateTime, nullable=True),
)


sessions = Table(
    "relay_session", metadata,
    Column("practice", String(64), primary_key=True),
    Column("appointment_id", Integer, primary_key=True),
    Column("state", String(16), nullable=False),  # moved, cancelled, gone
    Column("new_start", DateTime, nullable=True),
    Column("at", DateTime, nullable=False),
    # The start of the session the note speaks of: links made for another start (a
    # session id handed out again) are not its. None: every link of the id.
    Column("for_start", DateTime, nullable=True),
)

SESSION_STATES = ("moved", "cancelled", "gone", "open")

# The relay's name for this database, sent with every page of events: a desktop
# knows an event by it and the event's id, which a new database numbers from 1.
meta = Table(
    "relay_meta", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(64), nullable=False),
)

# The keys of provider deliveries (webhooks) the desktop has taken, kept for the
# providers' retry window after their events are deleted: a late retry of a
# delivery already taken is not queued again.
delivered = Table(
    "relay_delivered", metadata,
    Column("dedupe", String(128), primary_key=True),
    Column("at", DateTime, nullable=False),
)
REMEMBERED_KINDS = ("whatsapp_message", "whatsapp_status", "sms_message", "sms_status",
                    "voice_status")

# The practices the relay serves. Secrets a request is checked against are kept
# as digests (the API key, the pairing code); the link secret itself, because
# every link's signature is computed with it. relay_meta's "practices" row
# changes with every change here, so each relay process sees it (relay.practices).
practice_rows = Table(
    "relay_practice", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    # "cli" (practice-relay practice add), "file" (RELAY_PRACTICES_FILE) or
    # "env" (RELAY_LINK_SECRET and the rest): the last two are imported on start.
    Column("source", String(8), nullable=False),
    Column("api_key_digest", String(64), nullable=True, unique=True),  # SHA-256, hex
    Column("link_secret", String(256), nullable=True),
    Column("previous_link_secret", String(256), nullable=True),
    Column("public_key", LargeBinary, nullable=True),  # Curve25519, 32 bytes
    Column("whatsapp_phone_number_ids", Text, nullable=False, default=""),  # JSON list
    # Its WhatsApp Business Accounts: template webhooks are routed by them. JSON list.
    Column("whatsapp_business_account_ids", Text, nullable=False, default=""),
    Column("twilio_account_sid", String(64), nullable=True),
    Column("twilio_auth_token", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("paired_at", DateTime, nullable=True),
    # Removed by `practice-relay practice remove`: kept without its secrets so its
    # id is never given to another practice (answers still in flight die with it).
    Column("removed_at", DateTime, nullable=True),
    # The pending pairing code's SHA-256 (hex) and when it stops working.
    Column("code_digest", String(64), nullable=True, unique=True),
    Column("code_expires", DateTime, nullable=True),
)


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    appointment_id: int | None
    at: datetime
    sealed: bytes | None
    session_start: datetime | None = None


@dataclass(frozen=True)
class SessionState:
    state: str  # moved or cancelled
    new_start: datetime | None  # UTC, for a moved session


# The statements a link's answer runs, built once: building one (its clauses, its
# cache key) cost more than SQLite took to run it. Values are bound at execution.
_OUTCOME_OF = select(outcomes.c.action, outcomes.c.session_start).where(
    outcomes.c.practice == bindparam("practice"),
    outcomes.c.appointment_id == bindparam("appointment_id"))
_NOTE_OF = select(sessions.c.state, sessions.c.new_start, sessions.c.for_start).where(
    sessions.c.practice == bindparam("practice"),
    sessions.c.appointment_id == bindparam("appointment_id"))
_ADD_OUTCOME = insert(outcomes)
_ADD_EVENT = insert(events)


class Store:
    def __init__(self, url: str, replay_window: timedelta = timedelta(days=8)) -> None:
        self.replay_window = replay_window
        _private_sqlite(url)
        sqlite = url.startswith("sqlite")
        args = {"check_same_thread": False} if sqlite else {}
        # hide_parameters: an error's message (a locked database) must not carry
        # a practice's link secret or token into the log. A pre-ping finds a
        # PostgreSQL connection the server closed; a SQLite file has none to lose.
        self.engine: Engine = create_engine(url, connect_args=args, pool_pre_ping=not sqlite,
                                            hide_parameters=True)
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_journal)
        # This process's writers take turns here rather than in SQLite's busy
        # handler, which sleeps 1, 2, 5, 10… ms between looks at a lock held for
        # well under a millisecond. Other processes sharing the file still wait in
        # the busy handler. PostgreSQL locks rows, not the database: no turns.
        self._writing: AbstractContextManager[object] = \
            threading.Lock() if sqlite else nullcontext()
        existing = "relay_event" in inspect(self.engine).get_table_names()
        _upgrade(self.engine)
        metadata.create_all(self.engine)
        self.instance = _instance(self.engine, existing)

    def add(self, practice: str, kind: str, appointment_id: int | None, dedupe: str,
            sealed: bytes | None = None, session_start: datetime | None = None) -> int | None:
        """The new event's id, or None when this practice saw this dedupe key before
        (waiting, or taken by the desktop within the replay window)."""
        try:
            with self._writing, self.engine.begin() as conn:
                if conn.execute(select(delivered.c.dedupe).where(
                        delivered.c.dedupe == _key(practice, dedupe))).first():
                    return None
                return _insert_event(conn, practice, kind, appointment_id, dedupe, sealed,
                                     session_start)
        except IntegrityError:
            return None

    def answer(self, practice: str, appointment_id: int, action: str, kind: str,
               sealed: bytes | None = None, session_start: datetime | None = None) -> str:
        """A client's answer on a session's link and its event for the desktop, in one
        transaction: both are stored or neither is (a failure between them must not
        leave a link saying "already answered" with no answer on its way). Returns
        "first" (an event for the desktop), "changed" (a different answer than the
        link had: an event too, the client changed their mind), or "again" (the same
        answer repeated: nothing stored). A link made for another start than the
        one answered before is another session (an id handed out again): "first"."""
        start = _naive(session_start)
        for _attempt in range(3):  # a concurrent answer may win a race: look again
            try:
                with self._writing, self.engine.begin() as conn:
                    row = conn.execute(_OUTCOME_OF, {"practice": practice,
                                                     "appointment_id": appointment_id}).first()
                    if row is None:
                        try:
                            conn.execute(_ADD_OUTCOME, {
                                "practice": practice, "appointment_id": appointment_id,
                                "action": action, "at": _now(), "session_start": start})
                        except IntegrityError:  # another answer came in between
                            raise _AlreadyAnswered from None
                        said = "first"
                    else:
                        other = row[1] is not None and start is not None and row[1] != start
                        if row[0] == action and not other:
                            return "again"
                        key = (outcomes.c.practice == practice) & (
                            outcomes.c.appointment_id == appointment_id)
                        same = (outcomes.c.action == row[0]) & (
                            outcomes.c.session_start.is_(None) if row[1] is None
                            else outcomes.c.session_start == row[1])
                        moved = conn.execute(outcomes.update().where(key & same).values(
                            action=action, at=_now(), session_start=start)).rowcount
                        if not moved:
                            raise _AlreadyAnswered  # another answer came in between
                        said = "first" if other else "changed"
                    # Any failure here rolls the outcome back with it. The outcome row
                    # guards against repeats, so each answer's event has a key of its own.
                    _insert_event(conn, practice, kind, appointment_id,
                                  f"{action}:{appointment_id}:{uuid.uuid4().hex}",
                                  sealed, session_start)
                return said
            except _AlreadyAnswered:
                continue
        return "again"

    def after(self, practice: str, cursor: int, limit: int = 100) -> list[Event]:
        """The practice's events after `cursor`, oldest first, on the disk before
        they are handed out (synced)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.practice == practice,
                                                     events.c.id > cursor)
                                .order_by(events.c.id).limit(limit)).all()
        if rows:
            synced(self.engine)
        return [Event(r.id, r.kind, r.appointment_id, r.at.replace(tzinfo=UTC), r.sealed,
                      r.session_start.replace(tzinfo=UTC) if r.session_start else None)
                for r in rows]

    def ack(self, practice: str, ids: list[int]) -> int:
        """Deletes the practice's events among `ids`; another practice's stay. The
        keys of provider deliveries among them are remembered for the replay
        window, and older ones forgotten."""
        if not ids:
            return 0
        mine = (events.c.practice == practice) & events.c.id.in_(ids)
        now = _now()
        for _attempt in range(3):
            try:
                with self._writing, self.engine.begin() as conn:
                    keys = set(conn.execute(select(events.c.dedupe).where(
                        mine & events.c.kind.in_(REMEMBERED_KINDS))).scalars())
                    if keys:
                        known = set(conn.execute(select(delivered.c.dedupe).where(
                            delivered.c.dedupe.in_(keys))).scalars())
                        if keys - known:
                            conn.execute(insert(delivered), [{"dedupe": k, "at": now}
                                                             for k in keys - known])
                    conn.execute(delete(delivered).where(
                        delivered.c.at < now - self.replay_window))
                    return int(conn.execute(delete(events).where(mine)).rowcount or 0)
            except IntegrityError:  # another relay process remembered one first
                continue
        return 0

    def set_sessions(self, practice: str,
                     notes: list[tuple[int, str, datetime | None, datetime | None]]) -> None:
        """What the desktop says of sessions, (appointment id, state, new start,
        for_start) each, in one transaction: all are stored or none, and a
        concurrent writer of the same sessions (the window and the worker) makes it
        try again rather than fail. A session is moved (to its new start),
        cancelled, or open again (the note is dropped, and so is the link's answer:
        the desktop says "open" after a restore to a copy that may lack that
        answer, and the client must be able to give it again). for_start: the start
        of the session spoken of, so links of another session with the same id are
        not touched."""
        ordered = sorted(notes, key=lambda n: n[0])  # one lock order: no deadlock
        for attempt in range(5):
            try:
                with self._writing, self.engine.begin() as conn:
                    for appointment_id, state, new_start, for_start in ordered:
                        _note(conn, practice, appointment_id, state, new_start, for_start)
                synced(self.engine)
                return
            except (IntegrityError, OperationalError):  # a concurrent writer won a row
                if attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def session(self, practice: str, appointment_id: int,
                link_start: datetime | None = None) -> SessionState | None:
        """The note on a session, for a link made for `link_start`."""
        with self.engine.connect() as conn:
            row = conn.execute(_NOTE_OF, {"practice": practice,
                                          "appointment_id": appointment_id}).first()
        if row is None:
            return None
        if row[2] is not None and link_start is not None and row[2] != _naive(link_start):
            return None  # another session that had this id
        return SessionState(str(row[0]), row[1].replace(tzinfo=UTC) if row[1] else None)

    def outcome(self, practice: str, appointment_id: int) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outcomes.c.action).where(
                outcomes.c.practice == practice,
                outcomes.c.appointment_id == appointment_id)).first()
        return str(row[0]) if row else None


def _note(conn: Connection, practice: str, appointment_id: int, state: str,
          new_start: datetime | None, for_start: datetime | None) -> None:
    mine = (sessions.c.practice == practice) & (sessions.c.appointment_id == appointment_id)
    if state == "open":
        conn.execute(delete(sessions).where(mine))
        conn.execute(delete(outcomes).where(outcomes.c.practice == practice,
                                            outcomes.c.appointment_id == appointment_id))
        return
    values = {"state": state, "new_start": _naive(new_start), "at": _now(),
              "for_start": _naive(for_start)}
    # One statement that inserts or replaces: two writers of the same session
    # wait for each other instead of both inserting.
    dialect = conn.engine.dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = upsert(sessions).values(practice=practice, appointment_id=appointment_id,
                                        **values)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[sessions.c.practice, sessions.c.appointment_id], set_=values))


class _AlreadyAnswered(Exception):
    pass


def _sqlite_journal(connection: Any, _record: object) -> None:
    """Each new SQLite connection: a write-ahead log, synced at checkpoints.

    WAL (https://sqlite.org/wal.html): readers no longer wait for a writer (a
    link's page while a confirm is written), and a commit appends to one file
    instead of writing, syncing and deleting a rollback journal.

    synchronous=NORMAL (https://sqlite.org/pragma.html#pragma_synchronous): a
    commit is not synced to the disk until the next checkpoint. The database is
    never damaged by a crash, and the relay's own crash (killed, restarted) loses
    nothing; a power cut or a kernel crash may lose the last commits, those the
    disk had not yet been given. What that may lose, and why it is acceptable:
    - a client's answer (or a provider's message) the desktop had not taken yet:
      all of it (the link's outcome and its event are one transaction), so the
      link offers its buttons again and the desktop shows the session as it was;
      the client was told "confirmed", the practice may remind them once more.
      The desktop long-polls, so this is about the last second of answers.
    - never an event the desktop took: `synced` runs before events are handed
      out, or their ids, rolled back, would be given to new events that the
      desktop skips as already applied (relay_client.apply_event).
    - never what the desktop or an administrator changed (a pairing, its keys, a
      session's note): synced before they are answered.
    FULL would sync every confirm (a millisecond or more each, one at a time) to
    keep those last seconds of answers too."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def synced(engine: Engine) -> None:
    """Puts every commit made so far on the disk: what synchronous=NORMAL leaves
    to the next checkpoint (_sqlite_journal). The committed pages not yet
    checkpointed are in the write-ahead log, which is synced (fsync, as
    synchronous=FULL does at each commit); those checkpointed were synced by
    the checkpoint, and with no log left all are in the database file. Nothing
    to do on PostgreSQL, which syncs each commit, or an in-memory database."""
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(f"{database}-wal", os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_sqlite(url: str) -> None:
    """A SQLite database (and its journal) readable by the relay's user only, an
    existing one too: it says which sessions had answers, and when."""
    if os.name != "posix" or not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                 path.with_name(path.name + "-journal")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)
            log.warning("%s could be read by other accounts; it is now the relay's only.",
                        file)


def _naive(instant: datetime | None) -> datetime | None:
    """How instants are stored: naive UTC, to the second."""
    if instant is None:
        return None
    return instant.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _insert_event(conn: Connection, practice: str, kind: str, appointment_id: int | None,
                  dedupe: str, sealed: bytes | None, session_start: datetime | None
                  ) -> int | None:
    start = _naive(session_start)
    result = conn.execute(_ADD_EVENT, {
        "practice": practice, "kind": kind, "appointment_id": appointment_id, "at": _now(),
        "dedupe": _key(practice, dedupe), "sealed": sealed, "session_start": start})
    key = result.inserted_primary_key
    return int(key[0]) if key else None


def _key(practice: str, dedupe: str) -> str:
    # Fixed length whatever Meta's ids look like, and unique per practice.
    # surrogatepass: an id with a lone surrogate (JSON allows "\ud800") is still its own.
    return hashlib.sha256(f"{practice}\0{dedupe}".encode("utf-8", "surrogatepass")).hexdigest()


def _upgrade(engine: Engine) -> None:
    """Brings a database written by an earlier relay up to date: one written
    before a relay could serve several practices (its rows all belong to the one
    practice it served), and the practices' table as it grew."""
    tables = inspect(engine).get_table_names()
    with engine.begin() as conn:
        if "relay_event" in tables and "practice" not in _columns(engine, "relay_event"):
            conn.execute(text("ALTER TABLE relay_event ADD COLUMN practice VARCHAR(64) "
                              f"NOT NULL DEFAULT '{DEFAULT_PRACTICE}'"))
            by_practice.create(conn, checkfirst=True)
        if "relay_event" in tables and "session_start" not in _columns(engine, "relay_event"):
            conn.execute(text("ALTER TABLE relay_event ADD COLUMN session_start TIMESTAMP"))
        if "relay_outcome" in tables and "session_start" not in _columns(engine,
                                                                          "relay_outcome"):
            conn.execute(text("ALTER TABLE relay_outcome ADD COLUMN session_start TIMESTAMP"))
        if "relay_session" in tables and "for_start" not in _columns(engine, "relay_session"):
            conn.execute(text("ALTER TABLE relay_session ADD COLUMN for_start TIMESTAMP"))
        if "relay_outcome" in tables and "practice" not in _columns(engine, "relay_outcome"):
            # The primary key grows a column: copy the rows into a new table.
            conn.execute(text("ALTER TABLE relay_outcome RENAME TO relay_outcome_single"))
            outcomes.create(conn)
            conn.execute(text("INSERT INTO relay_outcome (practice, appointment_id, action, at) "
                              f"SELECT '{DEFAULT_PRACTICE}', appointment_id, action, at "
                              "FROM relay_outcome_single"))
            conn.execute(text("DROP TABLE relay_outcome_single"))
        if "relay_practice" in tables:
            have = _columns(engine, "relay_practice")
            if "whatsapp_business_account_ids" not in have:
                conn.execute(text("ALTER TABLE relay_practice ADD COLUMN "
                                  "whatsapp_business_account_ids TEXT NOT NULL DEFAULT ''"))
            if "removed_at" not in have:
                conn.execute(text("ALTER TABLE relay_practice ADD COLUMN removed_at TIMESTAMP"))


def _instance(engine: Engine, existing: bool) -> str:
    """This database's name: a new random one for a new database; "" for one that
    held events before relays named themselves (the desktop knows those as "")."""
    with engine.begin() as conn:
        found = conn.execute(select(meta.c.value).where(meta.c.name == "instance")).scalar()
        if found is not None:
            return str(found)
    chosen = "" if existing else uuid.uuid4().hex
    try:
        with engine.begin() as conn:
            conn.execute(insert(meta).values(name="instance", value=chosen))
    except IntegrityError:  # another relay process named it first
        pass
    with engine.begin() as conn:
        return str(conn.execute(select(meta.c.value).where(meta.c.name == "instance"))
                   .scalar())


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def _now() -> datetime:
    # Stored as naive UTC so a PostgreSQL server's own time zone never shifts it.
    return datetime.now(UTC).replace(tzinfo=None)
