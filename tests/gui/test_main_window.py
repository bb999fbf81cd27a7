"""The main window: navigation, the week's sessions, and live refresh from
change events published by the services."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.services import scheduling, settings
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.main_window import MainWindow
from app.ui.week_model import WeekModel
from tests.conftest import add_client, add_service, local


def rows(window: MainWindow) -> list[tuple[str, str]]:
    m = window.agenda.model
    return [(m.index(r, 1).data(), m.index(r, 4).data()) for r in range(m.rowCount())]


def open_window(qtbot: QtBot, practice: Practice) -> MainWindow:
    window = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.agenda.period.text() != "", timeout=3000)
    return window


def test_opens_on_the_agenda_with_this_weeks_sessions(qtbot: QtBot, practice: Practice) -> None:
    client, service = add_client(practice), add_service(practice)
    this_week = scheduling.book(practice, BookingRequest(
        client_id=client, start=local("2026-11-20T14:00"), service_id=service))
    scheduling.confirm(practice, this_week)
    scheduling.book(practice, BookingRequest(client_id=client, start=local("2026-11-24T14:00"),
                                             service_id=service))
    window = open_window(qtbot, practice)
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Dashboard", "Agenda", "Clients", "Conecta", "Settings"]
    assert window.stack.currentWidget() is window.agenda
    qtbot.waitUntil(lambda: rows(window) == [("Maria Silva", "Confirmed")], timeout=3000)
    assert window.agenda.period.text() == "Nov 16, 2026 – Nov 22, 2026"

    qtbot.mouseClick(window.agenda.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rows(window) == [("Maria Silva", "Scheduled")], timeout=3000)
    assert window.agenda.period.text() == "Nov 23, 2026 – Nov 29, 2026"

    QTest.keySequence(window, "Ctrl+T")
    qtbot.waitUntil(lambda: window.agenda.period.text().startswith("Nov 16"), timeout=3000)


def test_a_change_made_elsewhere_appears_without_reloading(qtbot: QtBot,
                                                           practice: Practice) -> None:
    window = open_window(qtbot, practice)
    qtbot.waitUntil(lambda: window.agenda.empty.isVisible(), timeout=3000)
    client, service = add_client(practice), add_service(practice)
    new_id = scheduling.book(practice, BookingRequest(
        client_id=client, start=local("2026-11-20T16:00"), service_id=service))
    qtbot.waitUntil(lambda: rows(window) == [("Maria Silva", "Scheduled")], timeout=3000)
    scheduling.cancel(practice, new_id, reason="Febre")
    qtbot.waitUntil(lambda: rows(window) == [("Maria Silva", "Cancelled")], timeout=3000)
    assert not window.agenda.empty.isVisible()


def test_clicking_the_navigation_switches_pages(qtbot: QtBot, practice: Practice) -> None:
    window = open_window(qtbot, practice)
    item = window.nav.item(2)
    rect = window.nav.visualItemRect(item)
    qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.stack.currentIndex() == 2


def test_week_model_passes_the_model_tester(qtmodeltester, practice: Practice) -> None:  # type: ignore[no-untyped-def]
    from app.services import queries

    client, service = add_client(practice), add_service(practice)
    for day in range(3):
        scheduling.book(practice, BookingRequest(
            client_id=client, start=local("2026-11-23T10:00") + timedelta(days=day),
            service_id=service))
    model = WeekModel()
    model.set_rows(queries.list_appointments(practice))
    qtmodeltester.check(model)
    assert model.rowCount() == 3
