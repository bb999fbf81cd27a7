"""Weeks turned faster than a busy computer reads them: the week the person stops
on is read next, not after every week skipped on the way, and while it is on its
way the grid says so instead of looking like a free week."""

from __future__ import annotations

import threading
from datetime import timedelta

from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.services import scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.main_window import MainWindow
from tests.conftest import local


def occupy_the_workers(w: MainWindow) -> threading.Event:
    """Both of the window's worker threads busy until the event is set, as on a
    computer slow to answer."""
    release = threading.Event()
    for _ in range(w.tasks.pool.maxThreadCount()):
        w.tasks.run(lambda: release.wait(10), lambda _r: None)
    return release


def test_weeks_turned_fast_read_only_the_week_stopped_on(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        seeded: dict[str, int]) -> None:
    w = window
    scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2027-01-25T10:00"), service_id=seeded["therapy"]))
    qtbot.waitUntil(lambda: not w.tasks.pool.activeThreadCount() and
                    not w.agenda._prefetching, timeout=5000)
    first = w.agenda.days()[0]
    release = occupy_the_workers(w)
    for _ in range(10):
        QTest.keySequence(w, "Ctrl+Right")
    assert w.agenda.period.text() == "Jan 25\u2009–\u200931, 2027"
    # Nothing has come: after a moment the grid says the week is on its way.
    qtbot.waitUntil(lambda: w.agenda.loading.isVisible(), timeout=2000)
    assert w.agenda.loading.text() == "Loading sessions…"
    assert w.agenda.grid.sessions() == []
    release.set()
    qtbot.waitUntil(lambda: [v.client_name for v in w.agenda.grid.sessions()] == ["João Alves"],
                    timeout=5000)
    assert not w.agenda.loading.isVisible()
    qtbot.waitUntil(lambda: not w.tasks.pool.activeThreadCount(), timeout=5000)
    # The weeks passed on the way were never read (only the one stopped on, and
    # later its neighbours, pre-fetched while the person looks).
    read = {key[1] for key in w.agenda._cache}
    skipped = {first + timedelta(weeks=n) for n in range(1, 9)}
    assert not read & skipped


def test_a_week_that_comes_quickly_is_never_said_to_be_loading(
        qtbot: QtBot, window: MainWindow) -> None:
    w = window
    said: list[bool] = []
    for _ in range(4):
        QTest.keySequence(w, "Ctrl+Right")
        qtbot.waitUntil(lambda: w.agenda.loaded_token == w.agenda._request, timeout=3000)
        said.append(w.agenda.loading.isVisible())
        qtbot.wait(200)  # past the moment it would be said
        said.append(w.agenda.loading.isVisible())
    assert said == [False] * 8


def test_an_empty_week_says_so_over_the_grid_without_moving_it(
        qtbot: QtBot, window: MainWindow) -> None:
    w = window
    grid_at = w.agenda.grid.mapTo(w, w.agenda.grid.rect().topLeft())
    assert not w.agenda.empty_hint.isVisible()
    for _ in range(3):  # weeks with no sessions
        QTest.keySequence(w, "Ctrl+Right")
    qtbot.waitUntil(lambda: w.agenda.empty_hint.isVisible(), timeout=3000)
    assert "Double-click a free time" in w.agenda.empty_hint.text()
    assert w.agenda.grid.mapTo(w, w.agenda.grid.rect().topLeft()) == grid_at
    hint = w.agenda.empty_hint.geometry()
    assert hint.width() <= w.agenda.stack.width() and hint.left() >= 0
    # A narrower window: the sentence wraps inside the grid, still over it.
    w.resize(1000, 700)
    qtbot.waitUntil(lambda: w.agenda.empty_hint.geometry().right() < w.agenda.stack.width(),
                    timeout=3000)
    QTest.keySequence(w, "Ctrl+T")
    qtbot.waitUntil(lambda: not w.agenda.empty_hint.isVisible(), timeout=3000)
