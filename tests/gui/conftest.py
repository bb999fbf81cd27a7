"""GUI tests keep Qt's remembered settings (window geometry) in a temporary folder,
and fail when the app logged an ERROR or Qt printed a warning while they ran (a
click that raised in the background is a failure even if the window said
"Saved"). pytest-qt turns Qt's warnings into failures (qt_log_level_fail)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings


def _test_servers_shutting_down(record: logging.LogRecord) -> bool:
    """uvicorn ending a test relay while a long poll is still open: the fixture's
    teardown, not the app."""
    if not record.name.startswith("uvicorn"):
        return False
    cancelled = record.exc_info is not None and isinstance(record.exc_info[1],
                                                           asyncio.CancelledError)
    return cancelled or record.getMessage().startswith("Cancel ")


@pytest.fixture(autouse=True)
def _no_errors_logged(request: pytest.FixtureRequest,
                      caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    if request.node.get_closest_marker("logs_errors"):
        return  # a test of the error hook itself
    errors = [f"{r.name}: {r.getMessage()}" + (f"\n{r.exc_text}" if r.exc_text else "")
              for r in caplog.get_records("call") + caplog.get_records("teardown")
              if r.levelno >= logging.ERROR and not _test_servers_shutting_down(r)]
    assert not errors, "the app logged errors:\n" + "\n".join(errors)


@pytest.fixture(autouse=True)
def _qt_settings_in_tmp(tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("PracticeDeskTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


from pytestqt.qtbot import QtBot  # noqa: E402

from app.services import queries, scheduling  # noqa: E402
from app.services import settings as practice_settings  # noqa: E402
from app.services.practice import Practice  # noqa: E402
from app.services.scheduling import BookingRequest  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from tests.conftest import add_client, add_service, local  # noqa: E402


@pytest.fixture
def seeded(practice: Practice) -> dict[str, int]:
    """Two clients, one service, and this week's sessions: one confirmed today,
    one scheduled on Monday next week."""
    ids = {"maria": add_client(practice),
           "joao": add_client(practice, "João Alves", "+55 21 99876-5432", None),
           "therapy": add_service(practice, name="Psicoterapia", buffer_after_minutes=10)}
    ids["today"] = scheduling.book(practice, BookingRequest(
        client_id=ids["maria"], start=local("2026-11-20T14:00"), service_id=ids["therapy"]))
    scheduling.confirm(practice, ids["today"])
    ids["monday"] = scheduling.book(practice, BookingRequest(
        client_id=ids["maria"], start=local("2026-11-23T10:00"), service_id=ids["therapy"]))
    return ids


@pytest.fixture
def window(qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> Iterator[MainWindow]:
    QSettings().setValue("agenda/view", "week")
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, practice_settings.get(practice).zone)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitUntil(lambda: bool(w.services) and bool(w.agenda.grid.sessions()), timeout=5000)
    yield w
    w.tasks.wait()


def status_of(practice: Practice, appointment_id: int) -> str:
    return queries.show(practice, appointment_id).status.value
