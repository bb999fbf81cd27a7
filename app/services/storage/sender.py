"""Which computer sends: reminders, the relay's long-poll, the mailbox and the
daily copy run on exactly one computer of the practice at a time.

- On the practice's server: the computer holding a session-level advisory lock
  on a connection of its own. If that computer goes away (switched off, cable
  pulled) the server ends its connection — TCP keepalives asked for here make
  it notice within about half a minute — the lock is released with it, and the
  next computer that tries takes over.
- On SQLite (one computer): the process holding a lock file in the data folder
  (the window, or `practice worker`), released by the system if it dies.

Who holds it is visible to every computer: on the server, the lock holder's
connection carries the computer's name (application_name) and its start time;
on SQLite a small file beside the lock says it.
https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
https://www.postgresql.org/docs/current/runtime-config-connection.html (tcp_keepalives_*)"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from filelock import FileLock, Timeout

from app.services.files import PRIVATE_FILE, write_whole
from app.services.storage import engines

if TYPE_CHECKING:
    from app.services.database import Database

log = logging.getLogger(__name__)

PREFIX = "Practice Desk sender: "  # application_name of the lock's connection
# The server notices a vanished computer after idle + interval * count seconds.
KEEPALIVE = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"


@dataclass(frozen=True)
class Sending:
    """Who sends for the practice."""
    computer: str
    since: datetime | None  # UTC
    here: bool  # this process


class SenderLock:
    """This process's claim to be the practice's sender. `hold()` takes it when
    free (and checks it is still held when taken); `release()` gives it up."""

    def __init__(self, db: Database, folder: Path, computer: str) -> None:
        self.db = db
        self.folder = folder
        self.computer = computer
        self._conn: Any = None  # the server's lock connection
        self._file: FileLock | None = None
        self.since: datetime | None = None
        # The claim job and the dispatch ticks ask from their own threads.
        self._guard = threading.RLock()

    @property
    def held(self) -> bool:
        return self.since is not None

    def hold(self) -> bool:
        """True when this process is the sender now (taking the lock if free)."""
        with self._guard:
            try:
                return self._hold_on_server() if self.db.on_server else self._hold_file()
            except Exception as exc:  # an unreachable server: not the sender until it answers
                if self.held:
                    log.warning("no longer the practice's sender (%s)", type(exc).__name__)
                self._drop()
                return False

    def _hold_on_server(self) -> bool:
        if self._conn is not None:
            self._conn.execute("SELECT 1")  # still connected, so still holding
            return True
        conn = engines.connection_of_its_own(
            self.db.url, _named(self.computer), options=KEEPALIVE,
            keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
        got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                           (engines.PRACTICE, engines.SENDER_LOCK)).fetchone()
        if not (got and got[0]):
            conn.close()
            return False
        self._conn = conn
        self.since = datetime.now(UTC)
        log.info("this computer (%s) now sends for the practice", self.computer)
        return True

    def _hold_file(self) -> bool:
        if self._file is not None:
            return True
        lock = FileLock(str(self.folder / "sender.lock"), mode=PRIVATE_FILE)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        self._file = lock
        self.since = datetime.now(UTC)
        note = {"computer": self.computer, "pid": os.getpid(),
                "since": self.since.isoformat()}
        write_whole(self.folder / "sender.json", json.dumps(note).encode())
        log.info("this process (%s) now sends for the practice", os.getpid())
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already gone
                log.debug("the lock's connection was already closed")
            self._conn = None
        if self._file is not None:
            (self.folder / "sender.json").unlink(missing_ok=True)
            self._file.release()
            self._file = None
        self.since = None

    def release(self) -> None:
        """Gives the part up at once (the others see it free on their next look)."""
        with self._guard:
            if self._conn is not None:
                try:
                    self._conn.execute("SELECT pg_advisory_unlock(%s, %s)",
                                       (engines.PRACTICE, engines.SENDER_LOCK))
                except Exception:  # the connection is gone, and the lock with it
                    log.debug("the sender's lock went with its connection")
            self._drop()

    def who(self) -> Sending | None:
        """Who sends for the practice now; None when nobody does."""
        if self.held:
            return Sending(self.computer, self.since, True)
        return holder(self.db, self.folder)


def holder(db: Database, folder: Path) -> Sending | None:
    """Who sends for the practice, as any computer sees it; None when nobody does."""
    if not db.on_server:
        lock = FileLock(str(folder / "sender.lock"), mode=PRIVATE_FILE)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            try:
                note = json.loads((folder / "sender.json").read_text(encoding="utf-8"))
                since = datetime.fromisoformat(note["since"])
                return Sending(str(note["computer"]), since, False)
            except (OSError, ValueError, KeyError, TypeError):
                return Sending("", None, False)
        lock.release()
        return None
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s "
            "AND l.objid = %s AND l.objsubid = 2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (engines.PRACTICE, engines.SENDER_LOCK)).first()
    if row is None:
        return None
    name, started = str(row[0] or ""), row[1]
    when = started.astimezone(UTC) if isinstance(started, datetime) else None
    computer = unquote(name[len(PREFIX):], errors="replace") if name.startswith(PREFIX) else ""
    return Sending(computer, when, False)


def _named(computer: str) -> str:
    """The lock connection's application_name: the server keeps printable ASCII
    only (63 bytes), so the computer's name is %-encoded, cut whole."""
    coded = quote(computer, safe=" -_.")
    room = 63 - len(PREFIX)
    if len(coded) > room:
        coded = coded[:room]
        if "%" in coded[-2:]:
            coded = coded[:coded.rindex("%")]
    return PREFIX + coded
