"""SQLite's index statistics are gathered when a file has none, and again when its
sessions have grown or shrunk twofold; with them, the Sessões list by client of one
status walks the clients in order instead of reading every session of that status.
The practice's server keeps its own."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from app.models.enums import AppointmentStatus
from app.services import planner_statistics, scheduling, session_list
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local


def book(p: Practice, count: int, first: int = 0) -> None:
    client, service = add_client(p, f"Cliente {first}", f"+55 11 9{first:04d}-1234"), \
        add_service(p, name=f"Sessão {first}")
    start = local("2026-11-23T08:00")
    for i in range(first, first + count):
        day, hour = divmod(i, 10)
        scheduling.book(p, BookingRequest(client_id=client, service_id=service,
                                          start=start + timedelta(days=day, hours=hour)))


def statistics(p: Practice) -> dict[str, str]:
    assert p.db.path is not None
    db = sqlite3.connect(p.db.path)
    try:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return {}
        return {str(idx): str(stat) for _t, idx, stat in db.execute("SELECT * FROM sqlite_stat1")}
    finally:
        db.close()


def test_gathered_once_and_again_when_the_sessions_have_doubled(practice: Practice) -> None:
    if practice.db.on_server:
        assert planner_statistics.refresh_if_due(practice) is False  # PostgreSQL's own
        return
    book(practice, 3)
    assert statistics(practice) == {}
    assert planner_statistics.refresh_if_due(practice) is True
    assert statistics(practice)["ix_appointment_start"].split()[0] == "3"
    assert planner_statistics.refresh_if_due(practice) is False
    book(practice, 3, first=3)  # 6: twice as many, still as known
    assert planner_statistics.refresh_if_due(practice) is False
    book(practice, 1, first=6)
    assert planner_statistics.refresh_if_due(practice) is True
    assert statistics(practice)["ix_appointment_start"].split()[0] == "7"
    # The file is still exactly one of ours (SQLite's own table is not ours to judge).
    assert practice.db.path is not None
    from app.services import schema_check

    assert schema_check.check(practice.db.path) == schema_check.migrate.HEAD


def test_with_statistics_sessions_of_one_status_by_client_walk_the_clients(
        practice: Practice) -> None:
    if practice.db.on_server:
        return
    for n in range(4):
        book(practice, 12, first=12 * n)
    planner_statistics.refresh_if_due(practice)
    listing = session_list.Listing(statuses=(AppointmentStatus.SCHEDULED,), sort="client")
    seen: list[tuple[str, object]] = []
    from sqlalchemy import event

    def record(_c: object, _cu: object, statement: str, parameters: object, *_: object) -> None:
        seen.append((statement, parameters))

    event.listen(practice.db.engine, "before_cursor_execute", record)
    try:
        rows = session_list.page(practice, listing)
    finally:
        event.remove(practice.db.engine, "before_cursor_execute", record)
    assert [v.client_name for v in rows][:13] == ["Cliente 0"] * 12 + ["Cliente 12"]
    statement, parameters = next((s, p) for s, p in seen if "FROM appointment" in s)
    assert practice.db.path is not None
    db = sqlite3.connect(practice.db.path)
    plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
    db.close()
    assert "SCAN client USING COVERING INDEX ix_client_directory" in plan, plan
    assert any("ix_appointment_client_status_start (client_id=? AND status=?)" in step
               for step in plan), plan
