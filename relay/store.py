"""The relay's storage: events waiting for the desktop, and the outcome of each
session's link (so a repeated tap can say "already confirmed"). Ids, kinds and
times only; anything a client wrote is sealed to the practice's key before it
gets here. SQLite by default, PostgreSQL through RELAY_DATABASE_URL. Every row
names its practice: one relay may serve several."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from relay.config import DEFAULT_PRACTICE

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
)


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    appointment_id: int | None
    at: datetime
    sealed: bytes | None


class Store:
    def __init__(self, url: str) -> None:
        args = {"check_same_thread": False} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, connect_args=args, pool_pre_ping=True)
        _upgrade(self.engine)
        metadata.create_all(self.engine)

    def add(self, practice: str, kind: str, appointment_id: int | None, dedupe: str,
            sealed: bytes | None = None) -> int | None:
        """The new event's id, or None when this practice saw this dedupe key before."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(insert(events).values(
                    practice=practice, kind=kind, appointment_id=appointment_id, at=_now(),
                    dedupe=_key(practice, dedupe), sealed=sealed))
                key = result.inserted_primary_key
                return int(key[0]) if key else None
        except IntegrityError:
            return None

    def after(self, practice: str, cursor: int, limit: int = 100) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.practice == practice,
                                                     events.c.id > cursor)
                                .order_by(events.c.id).limit(limit)).all()
        return [Event(r.id, r.kind, r.appointment_id, r.at.replace(tzinfo=UTC), r.sealed)
                for r in rows]

    def ack(self, practice: str, ids: list[int]) -> int:
        """Deletes the practice's events among `ids`; another practice's stay."""
        if not ids:
            return 0
        with self.engine.begin() as conn:
            return int(conn.execute(delete(events).where(
                events.c.practice == practice, events.c.id.in_(ids))).rowcount or 0)

    def outcome(self, practice: str, appointment_id: int) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outcomes.c.action).where(
                outcomes.c.practice == practice,
                outcomes.c.appointment_id == appointment_id)).first()
        return str(row[0]) if row else None

    def record_outcome(self, practice: str, appointment_id: int, action: str) -> bool:
        """True the first time a session's link is acted on."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(outcomes).values(practice=practice,
                                                     appointment_id=appointment_id,
                                                     action=action, at=_now()))
            return True
        except IntegrityError:
            return False


def _key(practice: str, dedupe: str) -> str:
    # Fixed length whatever Meta's ids look like, and unique per practice.
    return hashlib.sha256(f"{practice}\0{dedupe}".encode()).hexdigest()


def _upgrade(engine: Engine) -> None:
    """Brings a database written before a relay could serve several practices up
    to date: its rows all belong to the one practice it served."""
    tables = inspect(engine).get_table_names()
    with engine.begin() as conn:
        if "relay_event" in tables and "practice" not in _columns(engine, "relay_event"):
            conn.execute(text("ALTER TABLE relay_event ADD COLUMN practice VARCHAR(64) "
                              f"NOT NULL DEFAULT '{DEFAULT_PRACTICE}'"))
            by_practice.create(conn, checkfirst=True)
        if "relay_outcome" in tables and "practice" not in _columns(engine, "relay_outcome"):
            # The primary key grows a column: copy the rows into a new table.
            conn.execute(text("ALTER TABLE relay_outcome RENAME TO relay_outcome_single"))
            outcomes.create(conn)
            conn.execute(text("INSERT INTO relay_outcome (practice, appointment_id, action, at) "
                              f"SELECT '{DEFAULT_PRACTICE}', appointment_id, action, at "
                              "FROM relay_outcome_single"))
            conn.execute(text("DROP TABLE relay_outcome_single"))


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def _now() -> datetime:
    # Stored as naive UTC so a PostgreSQL server's own time zone never shifts it.
    return datetime.now(UTC).replace(tzinfo=None)
