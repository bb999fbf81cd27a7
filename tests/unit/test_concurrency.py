"""Two programs booking the same hour at the same moment: the write lock taken at
the start of each booking (BEGIN IMMEDIATE) lets exactly one of them through."""

from __future__ import annotations

import threading
from pathlib import Path

from app.services import queries, scheduling
from app.services.clock import FrozenClock
from app.services.errors import BookingConflict
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import NOW, add_client, add_service, local


def test_simultaneous_bookings_of_one_slot(practice: Practice, data_dir: Path) -> None:
    clients = [add_client(practice, f"C{i}", f"+55 11 9876{i}-43{i}1") for i in range(8)]
    service = add_service(practice)
    # Each "program" has its own engine and connections, as separate processes would.
    programs = [open_practice(data_dir, clock=FrozenClock(NOW), actor=f"p{i}",
                              logging_on=False) for i in range(8)]
    barrier = threading.Barrier(len(programs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            scheduling.book(programs[i], BookingRequest(
                client_id=clients[i], start=local("2026-11-23T10:00"), service_id=service))
            result = "booked"
        except BookingConflict:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(programs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for p in programs:
        p.close()
    assert sorted(outcomes) == ["booked"] + ["refused"] * 7
    assert len(queries.list_appointments(practice)) == 1
