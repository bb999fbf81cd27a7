"""Telling the relay what became of sessions whose confirmation links may be out:
a link made for a session that was since moved or cancelled must say so on its
page, not offer *Confirmar*. Rows are queued in the same unit of work as the
change and pushed by the relay poller, so none is lost if the relay is away."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime

import requests
from filelock import FileLock, Timeout
from sqlmodel import Session, col, select

from app.models.enums import ACTIVE_STATUSES, AppointmentStatus
from app.models.relay_records import LinkNotice
from app.models.tables import Appointment
from app.services.files import PRIVATE_FILE
from app.services.practice import Practice

log = logging.getLogger(__name__)
MOVED, CANCELLED, GONE, OPEN = "moved", "cancelled", "gone", "open"
BATCH = 500
# One push at a time: two that read the queue at different moments could land out
# of order and leave an older note on the relay. A lock for the threads of this
# process, and a file lock in the data folder for the window and `practice worker`
# running side by side on one database.
_PUSHING = threading.Lock()
OTHER_PUSH_WAIT = 30.0  # seconds; longer than one push takes


def _chain(s: Session, a: Appointment) -> list[int]:
    """The session and every session it was moved from: all their links lead here."""
    ids: list[int] = []
    current: Appointment | None = a
    while current is not None and current.id is not None and current.id not in ids:
        ids.append(current.id)
        current = s.get(Appointment, current.rescheduled_from_id) \
            if current.rescheduled_from_id else None
    return ids


def moved(s: Session, a: Appointment, new_start: datetime, now: datetime) -> None:
    """`a` (and what it was moved from) now happens at `new_start`."""
    for appointment_id in _chain(s, a):
        s.add(LinkNotice(appointment_id=appointment_id, state=MOVED, new_start=new_start,
                         created_at=now))


def cancelled(s: Session, a: Appointment, now: datetime) -> None:
    """`a` will not happen: its links, and those of what it was moved from, say so."""
    for appointment_id in _chain(s, a):
        s.add(LinkNotice(appointment_id=appointment_id, state=CANCELLED, created_at=now))


def _final(s: Session, a: Appointment) -> Appointment:
    """Where a chain of moves ends."""
    seen = {a.id}
    while a.rescheduled_to_id is not None and a.rescheduled_to_id not in seen:
        nxt = s.get(Appointment, a.rescheduled_to_id)
        if nxt is None:
            break
        seen.add(nxt.id)
        a = nxt
    return a


def resync(s: Session, now: datetime, vanished: Iterable[int]) -> int:
    """After a restore the relay's notes may speak of another agenda: every session
    still to come is said as it now is (open again, moved, cancelled) and those the
    previous data had and the restored data has not are gone. Returns the count."""
    count = 0
    for a in s.exec(select(Appointment).where(col(Appointment.start) > now)):
        assert a.id is not None
        if a.status in ACTIVE_STATUSES:
            note = LinkNotice(appointment_id=a.id, state=OPEN, created_at=now)
        elif a.status is AppointmentStatus.RESCHEDULED:
            note = LinkNotice(appointment_id=a.id, state=MOVED,
                              new_start=_final(s, a).start, created_at=now)
        elif a.status is AppointmentStatus.CANCELLED:
            note = LinkNotice(appointment_id=a.id, state=CANCELLED, created_at=now)
        else:
            continue
        s.add(note)
        count += 1
    for appointment_id in vanished:
        s.add(LinkNotice(appointment_id=appointment_id, state=GONE, created_at=now))
        count += 1
    return count


def push(p: Practice, url: str, key: str, batch: int = BATCH) -> int:
    """Send every queued note to the relay, oldest first, `batch` per request;
    returns how many went. Raises requests.RequestException when the relay cannot
    take them now, or RelayNotConfigured when it refuses them (what was not taken
    stays queued either way)."""
    with _PUSHING:
        try:
            with FileLock(p.paths.root / "relay-notes.lock", timeout=OTHER_PUSH_WAIT,
                          mode=PRIVATE_FILE):
                total = 0
                while sent := _push(p, url, key, max(1, batch)):
                    total += sent
                return total
        except Timeout:
            log.info("another process is telling the relay; the notes wait for it")
            return 0


def _push(p: Practice, url: str, key: str, batch: int) -> int:
    with p.db.read() as s:
        rows = list(s.exec(select(LinkNotice).where(col(LinkNotice.pushed_at).is_(None))
                           .order_by(col(LinkNotice.id)).limit(batch)))
        if not rows:
            return 0
        # The start each note speaks of: the relay leaves alone the links of another
        # session given the same id (a damaged database, a new computer).
        starts = {a.id: a.start for a in s.exec(select(Appointment).where(
            col(Appointment.id).in_([r.appointment_id for r in rows])))}
    body = {"sessions": [{"appointment_id": r.appointment_id, "state": r.state,
                          "start": r.new_start.isoformat() if r.new_start else None,
                          "for_start": starts[r.appointment_id].isoformat()
                          if r.appointment_id in starts else None}
                         for r in rows]}
    from app.services.relay_client import _check_answer

    _check_answer(requests.post(f"{url}/api/v1/sessions", json=body, timeout=15,
                                headers={"Authorization": f"Bearer {key}"}))
    now = p.clock.now()
    with p.db.write() as s:
        for r in rows:
            row = s.get(LinkNotice, r.id)
            if row is not None:
                row.pushed_at = now
    log.info("told the relay of %d moved or cancelled sessions", len(rows))
    return len(rows)
