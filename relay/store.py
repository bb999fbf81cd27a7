"""The relay's storage: events waiting for the desktop, and the outcome of each
session's link (so a repeated tap can say "already confirmed"). Ids, kinds and
times only; anything a client wrote is sealed to the practice's key before it
gets here. SQLite by default, PostgreSQL through RELAY_DATABASE_URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

events = Table(
    "relay_event", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("appointment_id", Integer, nullable=True),
    Column("at", DateTime, nullable=False),
    Column("dedupe", String(128), nullable=False, unique=True),
    Column("sealed", LargeBinary, nullable=True),
    # Ids are the desktop's cursor and its record of what it applied: they must
    # never be reused after an acknowledged event is deleted (SQLite would, without).
    sqlite_autoincrement=True,
)

outcomes = Table(
    "relay_outcome", metadata,
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
        self.engine: Engine = create_engine(url, connect_args=args)
        metadata.create_all(self.engine)

    def add(self, kind: str, appointment_id: int | None, dedupe: str,
            sealed: bytes | None = None) -> int | None:
        """The new event's id, or None when this dedupe key was seen before."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(insert(events).values(
                    kind=kind, appointment_id=appointment_id, at=datetime.now(UTC),
                    dedupe=dedupe, sealed=sealed))
                key = result.inserted_primary_key
                return int(key[0]) if key else None
        except IntegrityError:
            return None

    def after(self, cursor: int, limit: int = 100) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.id > cursor)
                                .order_by(events.c.id).limit(limit)).all()
        return [Event(r.id, r.kind, r.appointment_id, r.at.replace(tzinfo=UTC), r.sealed)
                for r in rows]

    def ack(self, ids: list[int]) -> int:
        if not ids:
            return 0
        with self.engine.begin() as conn:
            return int(conn.execute(delete(events).where(events.c.id.in_(ids))).rowcount or 0)

    def outcome(self, appointment_id: int) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outcomes.c.action).where(
                outcomes.c.appointment_id == appointment_id)).first()
        return str(row[0]) if row else None

    def record_outcome(self, appointment_id: int, action: str) -> bool:
        """True the first time a session's link is acted on."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(outcomes).values(appointment_id=appointment_id,
                                                     action=action, at=datetime.now(UTC)))
            return True
        except IntegrityError:
            return False
