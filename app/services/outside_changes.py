"""Changes another process made to the database (the headless `practice worker`,
the command line, a second window), announced on this process's change bus as if
they were its own, so every open page follows them.

SQLite says cheaply when another connection committed (PRAGMA data_version on a
connection of our own). What changed is then read from what every change leaves
behind: the audit trail (sessions, clients, services, professionals, settings),
the outbox (a reminder sent or failed), attendances (a client's message), and
clients' requests from the link. Each is read past a watermark kept from the last
look, so a change is announced once, whatever the clocks of the processes."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from app.models.conecta import Attendance, ConversationEntry
from app.models.outbox import OutboxMessage
from app.models.requests import ClientRequest
from app.models.tables import AuditEvent
from app.services.events import Change
from app.services.practice import Practice

ENTITIES = {"appointment": "appointments", "client": "clients", "service": "services",
            "staff": "staff", "attendance": "conversations"}
SETTINGS = frozenset({"settings", "config", "message_template"})


class Watcher:
    """One per window. `check()` returns what changed since the last call (an empty
    Change when nothing did) and publishes it; cheap enough to call every second."""

    def __init__(self, p: Practice) -> None:
        """Touches no disk: the first check() (off the GUI thread) opens the
        connection and takes the watermarks."""
        self.p = p
        self._conn: sqlite3.Connection | None = None
        self._version = 0
        self._audit = self._request = 0
        self._outbox: datetime | None = None
        self._activity: datetime | None = None

    def _start(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.p.paths.database, check_same_thread=False)
        self._conn = conn
        self._version = self._data_version()
        self._audit, self._request = self._max(AuditEvent.id), self._max(ClientRequest.id)
        self._outbox = self._latest(OutboxMessage.updated_at)
        self._activity = self._latest(Attendance.last_activity_at)
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def _data_version(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _max(self, column: Any) -> int:
        with self.p.db.read() as s:
            return int(s.scalar(select(func.max(col(column)))) or 0)

    def _latest(self, column: Any) -> datetime | None:
        with self.p.db.read() as s:
            found = s.scalar(select(func.max(col(column))))
            return found if isinstance(found, datetime) else None

    def check(self) -> Change:
        """What other connections committed since the last check, published on the
        bus. Our own process's commits come back too: views refresh once more. The
        first call only takes the watermarks."""
        if self._conn is None:
            self._start()
            return Change()
        version = self._data_version()
        if version == self._version:
            return Change()
        self._version = version
        ids: dict[str, set[int]] = {name: set() for name in
                                    ("appointments", "clients", "services", "staff",
                                     "conversations")}
        settings = False
        with self.p.db.read() as s:
            for event_id, entity, entity_id in s.exec(
                    select(AuditEvent.id, AuditEvent.entity, AuditEvent.entity_id)
                    .where(col(AuditEvent.id) > self._audit)):
                self._audit = max(self._audit, event_id or 0)
                if entity in ENTITIES and entity_id is not None:
                    ids[ENTITIES[entity]].add(entity_id)
                elif entity in SETTINGS:
                    settings = True
            for request_id, request_for in s.exec(
                    select(ClientRequest.id, ClientRequest.appointment_id)
                    .where(col(ClientRequest.id) > self._request)):
                self._request = max(self._request, request_id or 0)
                ids["appointments"].add(request_for)
            query = select(OutboxMessage.appointment_id, ConversationEntry.attendance_id,
                           OutboxMessage.updated_at).outerjoin(
                ConversationEntry,
                col(ConversationEntry.id) == OutboxMessage.conversation_entry_id)
            if self._outbox is not None:
                query = query.where(col(OutboxMessage.updated_at) > self._outbox)
            for about, thread, updated in s.exec(query):
                self._outbox = max(self._outbox or updated, updated)
                if about:
                    ids["appointments"].add(about)
                if thread:
                    ids["conversations"].add(thread)
            attendances = select(Attendance.id, Attendance.last_activity_at)
            if self._activity is not None:
                attendances = attendances.where(
                    col(Attendance.last_activity_at) > self._activity)
            for attendance, at in s.exec(attendances):
                self._activity = max(self._activity or at, at)
                if attendance:
                    ids["conversations"].add(attendance)
        change = Change.of(appointments=ids["appointments"], clients=ids["clients"],
                           services=ids["services"], staff=ids["staff"],
                           conversations=ids["conversations"], settings=settings)
        self.p.bus.publish(change)
        return change
