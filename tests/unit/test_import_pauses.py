"""An import runs with Python's cycle collector paused (issue 21: full collections
walking every object in the process were a sixth of a 10,000-row import), and the
collector runs again afterwards, however the import ended; the change feed's log
of a bulk import is written as the ORM would have written it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlmodel import select

from app.models.change_log import ChangeLogEntry
from app.services import importing
from app.services.importing.read import FileUnusable
from app.services.practice import Practice
from tests.conftest import add_service

HEADER = "Nome;Telefone;Serviço;Data;Hora"
_T = TypeVar("_T")


def sheet(path: Path, rows: int) -> Path:
    """`rows` sessions already held (before the tests' clock), ten a day, none
    overlapping: every one is imported."""
    first = date(2024, 1, 1)
    lines = [HEADER] + [f"Cliente {i};11 9{i + 1000:04d}-{i + 1000:04d};Sessão;"
                        f"{first + timedelta(days=i // 10):%d/%m/%Y};{8 + i % 10}:00"
                        for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection the collector starts meanwhile."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_no_collection_runs_while_importing_and_the_collector_runs_after(
        practice: Practice, tmp_path: Path, collections: list[int]) -> None:
    add_service(practice, name="Sessão")
    path = sheet(tmp_path / "agenda.csv", 3000)  # thousands of objects kept alive
    assert gc.isenabled()
    gc.collect()  # counting from zero: the few objects made before the pause start none
    collections.clear()
    report = importing.import_file(practice, path)
    assert report.imported == 3000
    # None while it ran, though it made thousands of objects (a collection every 700
    # without the pause); at most the one that starts as the collector resumes.
    assert len(collections) <= 1
    assert gc.isenabled()
    garbage = [[] for _ in range(1000)]
    for item in garbage:
        item.append(item)  # cycles: the collector, running again, meets them
    del garbage
    gc.collect()
    assert collections  # it ran


def test_each_phase_the_window_and_the_command_line_call_pauses_and_resumes(
        practice: Practice, tmp_path: Path, collections: list[int]) -> None:
    add_service(practice, name="Sessão")
    path = sheet(tmp_path / "agenda.csv", 2000)

    def alone(phase: Callable[[], _T]) -> _T:
        gc.collect()
        collections.clear()
        out = phase()
        assert len(collections) <= 1 and gc.isenabled()
        return out

    sheet_, mapping = alone(lambda: importing.open_sheet(path))
    rows = alone(lambda: importing.rows_of(practice, sheet_, mapping))
    assert alone(lambda: importing.dry_run(practice, sheet_.name, rows)).would_import == 2000
    assert alone(lambda: importing.run(practice, sheet_.name, rows)).imported == 2000


def test_a_refused_file_leaves_the_collector_running(tmp_path: Path) -> None:
    path = tmp_path / "agenda.csv"
    path.write_bytes(b"")
    with pytest.raises(FileUnusable):
        importing.open_sheet(path)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused(
        practice: Practice, tmp_path: Path) -> None:
    add_service(practice, name="Sessão")
    gc.disable()
    try:
        assert importing.import_file(practice, sheet(tmp_path / "a.csv", 10)).imported == 10
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_log_of_an_import_reads_back_as_the_orm_writes_it(
        practice: Practice, tmp_path: Path) -> None:
    """Thousands of change_log rows go straight through the driver: each reads back
    through the ORM with its instant, origin, kind and id."""
    add_service(practice, name="Sessão")
    report = importing.import_file(practice, sheet(tmp_path / "agenda.csv", 300))
    ids = {r.appointment_id for r in report.rows}
    with practice.db.read() as s:
        logged = s.exec(select(ChangeLogEntry).where(ChangeLogEntry.kind == "appointment")
                        ).all()
    assert {e.entity_id for e in logged} == ids and len(logged) == 300
    for e in logged:
        assert e.origin == practice.db.origin
        assert e.at.tzinfo is not None
        # The computers' real time, not the practice's clock (the log is pruned by it).
        assert abs(e.at - logged[0].at) < timedelta(seconds=5)
