"""GUI tests keep Qt's remembered settings (window geometry) in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings


@pytest.fixture(autouse=True)
def _qt_settings_in_tmp(tmp_path: Path) -> None:
    QCoreApplication.setOrganizationName("PracticeDeskTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


from collections.abc import Iterator  # noqa: E402

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
