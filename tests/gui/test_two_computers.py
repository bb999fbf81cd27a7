"""Two computers of one practice on the server — the reception's window and the
professional's — each see what the other does within a second, without anyone
touching the other window: a confirmation made at the front desk is drawn
confirmed in the room; a session booked in the room appears at the front desk."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.services import queries, scheduling
from app.services import settings as practice_settings
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.test_agenda import centre, shown


@pytest.fixture
def engine() -> str:
    return "postgresql"


@pytest.fixture
def rooms(qtbot: QtBot, practice: Practice, seeded: dict[str, int]
          ) -> Iterator[tuple[MainWindow, MainWindow]]:
    assert practice.db.on_server
    QSettings().setValue("agenda/view", "week")
    QSettings().setValue("window/page", "agenda")
    other = open_practice(practice.paths.root, clock=practice.clock, actor="Dra. Ana",
                          logging_on=False)
    desk = MainWindow(practice.acting_as("Carla"), practice_settings.get(practice).zone)
    room = MainWindow(other, practice_settings.get(other).zone)
    for w in (desk, room):
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        qtbot.waitUntil(lambda w=w: bool(w.services) and bool(w.agenda.grid.sessions()),
                        timeout=5000)
        qtbot.mouseClick(w.agenda.next_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda w=w: shown(w) == [("Maria Silva", "scheduled")], timeout=3000)
    qtbot.wait(500)  # both windows follow the server's feed, as they do all day
    yield desk, room
    for w in (desk, room):
        w.close()
        w.tasks.wait()
    other.close()


def test_a_confirmation_at_the_front_desk_shows_in_the_room_within_a_second(
        qtbot: QtBot, rooms: tuple[MainWindow, MainWindow], practice: Practice,
        seeded: dict[str, int]) -> None:
    desk, room = rooms
    qtbot.mouseClick(desk.agenda.grid, Qt.MouseButton.LeftButton,
                     pos=centre(desk, seeded["monday"]))
    panel = desk.panels[seeded["monday"]]
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    t0 = time.monotonic()
    panel.confirm_action.trigger()
    qtbot.waitUntil(lambda: queries.show(practice, seeded["monday"]).status.value ==
                    "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: shown(room) == [("Maria Silva", "confirmed")], timeout=3000)
    assert time.monotonic() - t0 < 1.5  # the click's own round trip included
    history = queries.show(practice, seeded["monday"]).history
    assert history[-1].actor == "Carla"  # the audit names who, at which desk


def test_a_session_booked_in_the_room_appears_at_the_front_desk(
        qtbot: QtBot, rooms: tuple[MainWindow, MainWindow], seeded: dict[str, int]) -> None:
    desk, room = rooms
    scheduling.book(room.practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-24T15:00"),
        service_id=seeded["therapy"]))
    qtbot.waitUntil(lambda: sorted(shown(desk)) == [("João Alves", "scheduled"),
                                                    ("Maria Silva", "scheduled")],
                    timeout=2000)
