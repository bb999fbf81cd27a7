"""No double booking across computers of one practice on the server: twenty
processes (each its own computer's connections) book the same hour at the same
moment, and exactly one succeeds; the others are told the time is taken. The
server itself also refuses a second session of a professional at a time taken,
whatever wrote it; a session booked over another on purpose is let through."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from app.models.enums import AppointmentSource, AppointmentStatus
from app.models.tables import Appointment
from app.services import queries, scheduling, this_computer
from app.services.clock import FrozenClock
from app.services.errors import BookingConflict, InvalidInput
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import NOW, add_client, add_service, local
from tests.fakes.postgres import PostgresCluster

PROCESSES = 20


def _book(folder: str, client_id: int, service_id: int, barrier: Any, out: Any) -> None:
    """One computer: opens the practice (its own connections), waits for the
    others, books 10:00 and says what came of it."""
    p = open_practice(folder, clock=FrozenClock(NOW), actor=f"computer {client_id}",
                      logging_on=False)
    try:
        barrier.wait(timeout=120)
        try:
            scheduling.book(p, BookingRequest(client_id=client_id, service_id=service_id,
                                              start=local("2026-11-23T10:00")))
            out.put(("booked", ""))
        except BookingConflict as exc:
            out.put(("refused", str(exc)))
    finally:
        p.close()


@pytest.fixture
def on_server(tmp_path: Path, postgres: PostgresCluster) -> Path:
    folder = tmp_path / "practice"
    this_computer.save(DataPaths(folder), database_url=postgres.practice_database())
    return folder


@pytest.mark.slow
def test_twenty_computers_book_the_same_hour_and_one_gets_it(on_server: Path) -> None:
    p = open_practice(on_server, clock=FrozenClock(NOW), actor="Dra. Ana", logging_on=False)
    assert p.db.on_server
    try:
        service = add_service(p)
        people = [add_client(p, f"Cliente {i}", f"+55 11 98{i:03d}-4321", None)
                  for i in range(PROCESSES)]
    finally:
        p.close()
    spawn = multiprocessing.get_context("spawn")  # nothing of this process carried over
    barrier, out = spawn.Barrier(PROCESSES), spawn.Queue()
    workers = [spawn.Process(target=_book, args=(str(on_server), c, service, barrier, out))
               for c in people]
    for w in workers:
        w.start()
    results = [out.get(timeout=240) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert sorted(r for r, _ in results) == ["booked"] + ["refused"] * (PROCESSES - 1)
    assert all("10:00" in why or "busy" in why for r, why in results if r == "refused")
    p = open_practice(on_server, logging_on=False)
    try:
        assert len(queries.list_appointments(p)) == 1
    finally:
        p.close()


def _session(p: Practice, client: int, service: int, at: str, *, before: int = 0,
             overlap_allowed: bool = False) -> Appointment:
    now = datetime.now(UTC)
    with p.db.read() as s:
        staff = s.exec(select(Appointment.staff_id)).first()
    return Appointment(client_id=client, service_id=service, staff_id=staff or 1,
                       start=local(at), duration_minutes=50, buffer_before_minutes=before,
                       buffer_after_minutes=10, status=AppointmentStatus.SCHEDULED,
                       source=AppointmentSource.MANUAL, quoted_price_cents=0,
                       created_at=now, updated_at=now, overlap_allowed=overlap_allowed)


def test_the_server_refuses_an_overlap_whatever_wrote_it(on_server: Path) -> None:
    p = open_practice(on_server, clock=FrozenClock(NOW), actor="Dra. Ana", logging_on=False)
    try:
        service = add_service(p)
        maria, joao = add_client(p), add_client(p, "João Alves", "+55 11 91234-5678")
        first = scheduling.book(p, BookingRequest(client_id=maria, service_id=service,
                                                  start=local("2026-11-23T10:00")))
        # A write that skipped the app's own check (an old version, a bug): the server's
        # exclusion constraint refuses it at commit, with the sentence, and keeps nothing.
        with pytest.raises(InvalidInput, match="another computer"), p.db.write() as s:
            s.add(_session(p, joao, service, "2026-11-23T10:30"))
        # Its preparation time counts too (from 10:45, before the first ends at 10:50).
        with pytest.raises(InvalidInput, match="another computer"), p.db.write() as s:
            s.add(_session(p, joao, service, "2026-11-23T10:55", before=10))
        with p.db.write() as s:  # from 10:50 on, the time is free
            s.add(_session(p, joao, service, "2026-11-23T11:00", before=10))
        assert len(queries.list_appointments(p)) == 2
        # Booked over on purpose (override): let through.
        scheduling.book(p, BookingRequest(client_id=joao, service_id=service,
                                          start=local("2026-11-23T10:30")), override=True)
        # A cancelled session frees its time, also for the server.
        scheduling.cancel(p, first, reason="Viagem")
        with p.db.write() as s:
            s.add(_session(p, maria, service, "2026-11-23T09:00"))
        assert len(queries.list_appointments(p)) == 4
    finally:
        p.close()
