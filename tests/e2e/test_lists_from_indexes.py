"""Lists are read from indexes, in their order, without reading the rows they pass
over: the client list is searched from an index alone on SQLite, so clients with
long notes do not slow a search (the practice's server has no such index: a long
name could not be written into one, and its schema is still exactly the models');
Sessões find a page's sessions on the columns they filter and sort by, and read
whole only those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlmodel import SQLModel

from app.models.enums import AppointmentStatus
from app.services import clients, session_list, this_computer
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from tests.conftest import NOW
from tests.fakes.postgres import PostgresCluster

LONG_NOTES = "Observações do primeiro atendimento, queixa, história. " * 60


def statements_of(p: Practice, work: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(p.db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(p.db.engine, "before_cursor_execute", record)
    return seen


def made_on(dialect: str) -> Any:
    def include(item: Any, _name: Any, _kind: str, _reflected: bool, _other: Any) -> bool:
        condition = getattr(item, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)
    return include


def test_a_search_reads_no_client_row_and_finds_clients_with_long_notes(
        practice: Practice) -> None:
    names = ["João da Silva", "Érica Souza", "Ana Lima", "Silvana Prado"]
    for i, name in enumerate(names):
        clients.add(practice, name=name, phone=f"+55 11 98765-432{i}", email=None,
                    notes=LONG_NOTES)
    gone = clients.add(practice, name="Ana Inativa", phone="+55 11 98765-4329").id
    with practice.db.engine.begin() as conn:  # as an erased client's row is kept
        conn.exec_driver_sql("UPDATE client SET active = 0 WHERE id = ?", (gone,))

    found: list[clients.DirectoryRow] = []
    seen = statements_of(practice, lambda: found.extend(clients.directory(practice, "silva")))
    assert [r.name for r in found] == ["João da Silva", "Silvana Prado"]
    assert [r.name for r in clients.directory(practice, "")] == sorted(
        names, key=lambda n: n.replace("É", "E"))
    assert clients.directory(practice, "inativa") == []

    statement, parameters = next((s, prm) for s, prm in seen if "FROM client" in s)
    plan = plan_of(practice, statement, parameters)
    assert "SCAN client USING COVERING INDEX ix_client_directory" in plan, plan


def plan_of(p: Practice, statement: str, parameters: Any) -> list[str]:
    with p.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        return [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]


def test_a_sessoes_page_is_found_in_order_and_only_its_rows_read_whole(
        practice: Practice) -> None:
    listing = session_list.Listing(statuses=(AppointmentStatus.COMPLETED,))
    seen = statements_of(practice, lambda: session_list.page(practice, listing))
    statement, parameters = next((s, prm) for s, prm in seen if "FROM appointment" in s)
    plan = plan_of(practice, statement, parameters)
    # The page's ids in time order straight from the index on (status, start), then
    # 200 rows by their ids; no session of that status is sorted whole.
    assert "SEARCH appointment USING COVERING INDEX ix_appointment_status_start (status=?)" \
        in plan, plan
    assert "SEARCH appointment USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan

    by_name = session_list.Listing(text="silva")
    seen = statements_of(practice, lambda: session_list.page(practice, by_name))
    statement, parameters = next((s, prm) for s, prm in seen if "FROM appointment" in s)
    plan = plan_of(practice, statement, parameters)
    # The clients named first, then their sessions: not every session's client.
    assert "SCAN client USING COVERING INDEX ix_client_directory" in plan, plan
    assert not any(step.startswith("SCAN appointment") for step in plan), plan


def test_a_search_finding_most_sessions_walks_them_in_time_order(practice: Practice) -> None:
    """A name search that finds most of the practice's sessions (the first digit of
    a phone) finds its page walking the sessions in time order, not sorting them
    all; one that finds few gathers its clients' sessions. Both list the same
    sessions as the other way would."""
    from app.services import planner_statistics, scheduling
    from app.services.scheduling import BookingRequest
    from tests.conftest import add_client, add_service, local

    therapy = add_service(practice)
    booked = 0
    for i, name in enumerate(["Ana Silva", "Bia Silva", "Caio Souza", "Dora Silva"]):
        client = add_client(practice, name, f"+55 11 98765-432{i}", None)
        for day in range(1, 9 if i != 2 else 3):
            scheduling.book(practice, BookingRequest(
                client_id=client, start=local(f"2026-12-{day:02}T{8 + i:02}:00"),
                service_id=therapy), override=True)
            booked += 1
    planner_statistics.refresh_if_due(practice)

    def page_and_plan(text: str, limit: int) -> tuple[list[int], list[int], str, list[str]]:
        listing = session_list.Listing(text=text)
        total = session_list.count(practice, listing)
        seen = statements_of(practice, lambda: session_list.page(
            practice, listing, 0, limit, total))
        statement, parameters = next((s, prm) for s, prm in seen if "search_key LIKE" in s)
        walked = [v.id for v in session_list.page(practice, listing, 0, limit, total)]
        gathered = [v.id for v in session_list.page(practice, listing, 0, limit)]
        return walked, gathered, statement, plan_of(practice, statement, parameters)

    walked, gathered, statement, plan = page_and_plan("silva", 3)  # 24 of 26 sessions
    assert walked == gathered and len(walked) == 3
    assert "appointment.client_id + " in statement
    assert any(step.startswith("SCAN appointment USING") and "start" in step
               for step in plan), plan
    assert not any("ix_appointment_client_start (client_id=?)" in step for step in plan), plan
    walked, gathered, statement, _plan = page_and_plan("caio", 3)  # 2 of 26
    assert walked == gathered and len(walked) == 2
    assert "appointment.client_id + " not in statement  # looked up by client


def test_a_professionals_clients_are_found_from_an_index(practice: Practice) -> None:
    """Whose notes a professional reads is asked on every list they read: the
    clients of the rows read, then all of theirs, each from the index on
    (professional, client, status) alone."""
    from app.models.people import Person, Role
    from app.services import catalog, people, queries, scheduling
    from app.services.scheduling import BookingRequest
    from tests.conftest import add_client, add_service, local

    staff = catalog.list_staff(practice)[0].id
    assert staff is not None
    client = add_client(practice)
    scheduling.book(practice, BookingRequest(client_id=client, start=local("2026-11-23T10:00"),
                                             service_id=add_service(practice), staff_id=staff))
    ana = practice.acting_as_person(Person("Ana", Role.PROFESSIONAL, staff))
    seen = statements_of(practice, lambda: queries.list_appointments(ana))
    statement, parameters = next((s, prm) for s, prm in seen if "DISTINCT" in s)
    plan = plan_of(practice, statement, parameters)
    assert plan == ["SEARCH appointment USING COVERING INDEX ix_appointment_staff_client_status "
                    "(staff_id=? AND client_id=?)"], plan
    with practice.db.read() as s:
        everyone = statements_of(practice, lambda: people.own_clients(s, staff))
    statement, parameters = everyone[-1]
    plan = plan_of(practice, statement, parameters)
    assert plan == ["SEARCH appointment USING COVERING INDEX ix_appointment_staff_client_status "
                    "(staff_id=?)"], plan


def test_the_server_has_no_such_index_and_its_schema_is_the_models(
        tmp_path: Path, postgres: PostgresCluster) -> None:
    from app.services.clock import FrozenClock

    this_computer.save(DataPaths(tmp_path), database_url=postgres.practice_database())
    p = open_practice(tmp_path, clock=FrozenClock(NOW), logging_on=False)
    try:
        clients.add(p, name="Maria " + "da Silva " * 400, phone="+55 11 98765-4321")
        assert [r.name[:11] for r in clients.directory(p, "maria")] == ["Maria da Si"]
        with p.db.engine.connect() as conn:
            indexes = conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'client'").scalars().all()
            assert "ix_client_directory" not in indexes and "ix_client_name" in indexes
            # An index the models make on SQLite alone (ddl_if) is not the server's:
            # Alembic's comparison does not read that condition, so it is applied here.
            context = MigrationContext.configure(conn, opts={"include_object": made_on(
                conn.dialect.name)})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        p.close()
