"""Opening the window as `practice` does: the practice opened on a thread while the
window's code is imported, and the reminders' worker started once the first page
is painted (issue 21: the window opens about as fast as an empty Qt window)."""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.services import scheduling, settings, this_computer
from app.services.clock import FrozenClock
from app.services.errors import DatabaseDamaged
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.services.scheduling import BookingRequest
from app.ui import app as window_app
from app.ui.main_window import FIRST_PAINT_WAIT_MS, LATER_AT_MOST_MS, LATER_MS, MainWindow
from tests.conftest import local


@pytest.fixture
def no_log_file_left(tmp_path: Path) -> Iterator[None]:
    """open_practice as the app calls it writes the practice's log: the handler it
    adds is taken away again, with its file."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if str(getattr(handler, "baseFilename", "")).startswith(str(tmp_path)):
            root.removeHandler(handler)
            handler.close()


def test_the_worker_starts_once_the_first_week_is_painted(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, settings.get(practice).zone, background_worker=True)
    qtbot.addWidget(w)
    try:
        assert w.worker is None  # nothing of the worker before the first paint
        assert w.relay_state.text() == "" and not w.sender_state.isVisible()
        w.show()
        qtbot.waitUntil(lambda: bool(w.agenda.grid.sessions()), timeout=5000)
        qtbot.waitUntil(lambda: w.worker is not None, timeout=5000)
        assert w.worker.scheduler is not None
        assert {j.id for j in w.worker.scheduler.get_jobs()} == {
            "dispatch", "mail", "backup", "sender"}
        qtbot.waitUntil(lambda: w.worker.tried.is_set(), timeout=5000)
        assert w.worker.sender.held  # a practice of one computer: it sends
    finally:
        w.quit()
    assert w.worker.scheduler is None  # Quit stops it, as before


def test_the_window_is_first_painted_with_its_week_loaded_once(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    """The agenda's first period is asked for as its page is made and put on the
    grid before the window is shown: no empty week painted first, and no second
    load of the same week when the catalogue arrives."""
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    shown = w.agenda.grid.sessions()
    assert shown, "the week was not on the grid when the window was made"
    assert w.agenda.loaded_token == 1
    w.show()
    qtbot.waitUntil(lambda: bool(w.staff), timeout=5000)  # the catalogue came
    qtbot.wait(300)  # and the neighbours' pre-fetch (150 ms later) ran
    assert w.agenda.loaded_token == 1  # the same request: not loaded again
    assert [v.id for v in w.agenda.grid.sessions()] == [v.id for v in shown]


def test_what_else_the_window_reads_waits_for_its_first_painted_week(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    """The catalogue (professionals, services) and the start's question (who uses
    this computer) are read once the week is on screen, so their reads do not slow
    its first paint."""
    QSettings().setValue("window/page", "agenda")
    this_computer.save(practice.paths, person=practice.actor)  # nobody to ask
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    w.start()
    qtbot.wait(150)  # not shown, so not painted: nothing else was read
    assert w.staff == [] and w.agenda.staff_combo.count() == 1
    # The filters say what they start as from the first paint, not empty boxes.
    assert w.agenda.staff_combo.currentText() == "All professionals"
    assert w.agenda.service_combo.currentText() == "Do not shade"
    assert w.user_label.text() == ""
    w.show()
    qtbot.waitUntil(lambda: bool(w.staff), timeout=3000)
    assert w.agenda.staff_combo.count() == 1 + len(w.staff)
    qtbot.waitUntil(lambda: w.user_label.text() != "", timeout=3000)


def test_a_window_never_painted_reads_its_catalogue_all_the_same(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, settings.get(practice).zone)  # opened minimized, say
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(w.staff), timeout=FIRST_PAINT_WAIT_MS + 3000)


def test_a_window_closed_before_its_worker_started_starts_none(
        qtbot: QtBot, practice: Practice) -> None:
    QSettings().setValue("window/page", "dashboard")  # no first week: the later timer
    w = MainWindow(practice, settings.get(practice).zone, background_worker=True)
    qtbot.addWidget(w)
    w.show()
    w.quit()  # before the first page was painted
    qtbot.wait(LATER_AT_MOST_MS + 500)  # when it would have started
    assert w.worker is None and w.tray is None
    assert not [t for t in threading.enumerate() if t.name == "worker-start"]


def test_a_window_closed_as_its_first_week_is_painted_leaves_no_thread_behind(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Quit at once (a mistaken start): the worker and the warm-up were due a moment
    after the first week. A thread still importing when Python shuts down can hold
    a lock the shutdown then waits for, and the process never ends; so nothing
    starts once the window closes, and what began ends before it has closed."""
    started: list[str] = []
    start = threading.Thread.start

    def noted(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    QSettings().setValue("agenda/view", "week")
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, settings.get(practice).zone, background_worker=True)
    qtbot.addWidget(w)
    monkeypatch.setattr(threading.Thread, "start", noted)
    w.show()
    # Its first week is read before it is shown (or, on a slow disk, just after):
    # closed then, as a person's Ctrl+Q would.
    if w.agenda.grid.sessions():
        w.quit()
    else:
        w.agenda.loaded.connect(w.quit)  # after the window's own
    qtbot.waitUntil(lambda: w.quitting, timeout=5000)
    closed = list(started)
    qtbot.wait(LATER_MS + LATER_AT_MOST_MS + 300)  # when they would have started
    assert started == closed and "warm-up" not in started and "worker-start" not in started
    assert w.worker is None
    assert not [t for t in threading.enumerate()
                if t.name in ("warm-up", "worker-start", "change-feed")]


def test_a_window_closed_while_it_warms_up_waits_for_the_warm_up(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    QSettings().setValue("agenda/view", "week")
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w._warming is not None, timeout=5000)
    warming = w._warming
    w.quit()
    assert warming is not None and not warming.is_alive()


def test_the_practice_opens_on_a_thread_while_the_window_is_imported(
        qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
        no_log_file_left: None) -> None:
    monkeypatch.setenv("PRACTICE_NOW", "2026-11-18T13:00:00Z")
    QSettings().setValue("window/page", "agenda")
    p, watcher = window_app._opening(data_dir)
    try:
        assert watcher.following  # its watermark taken before anything was read
        assert p.paths.root == data_dir.resolve()
        assert isinstance(p.clock, FrozenClock)  # PRACTICE_NOW, as on the command line
        assert p.clock.now() == datetime(2026, 11, 18, 13, tzinfo=UTC)
        assert settings.get(p).zone is not None  # created, with its settings
        assert (p.paths.logs / "practice.log").exists()  # opened as the app opens it
    finally:
        watcher.close()
        p.close()


def test_the_window_follows_what_others_commit_from_before_its_first_read(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    """The change feed's watermark is taken as the window is made, before its pages
    read: it was taken at the feed's first look, 0.2 s after the window was built,
    and a commit in between (after the week was read) was absorbed into it and
    never shown."""
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    assert w.watcher is not None and w.watcher.following


def test_a_session_booked_elsewhere_as_the_window_opens_reaches_its_agenda(
        qtbot: QtBot, practice: Practice, seeded: dict[str, int]) -> None:
    """Another program (the command line, the reception's computer) books just after
    the window read its first week, before the change feed's first look: the
    booking is announced and the week shows it."""
    QSettings().setValue("agenda/view", "week")
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: bool(w.agenda.grid.sessions()), timeout=5000)
    elsewhere = open_practice(practice.paths.root, clock=practice.clock, actor="reception",
                              logging_on=False)
    try:
        booked = scheduling.book(elsewhere, BookingRequest(
            client_id=seeded["joao"], start=local("2026-11-20T16:00"),
            service_id=seeded["therapy"]))
    finally:
        elsewhere.close()
    qtbot.waitUntil(lambda: any(v.id == booked for v in w.agenda.grid.sessions()),
                    timeout=5000)


def test_a_damaged_database_is_said_on_the_gui_thread(
        qtbot: QtBot, data_dir: Path, no_log_file_left: None) -> None:
    data_dir.mkdir(parents=True)
    DataPaths(data_dir).database.write_bytes(b"not a database, but a note" * 100)
    with pytest.raises(DatabaseDamaged, match="not a Practice Desk database"):
        window_app._opening(data_dir)
    assert not [t for t in threading.enumerate() if t.name == "open-practice"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_windows_own_settings_are_their_owners_only(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    # Who uses this computer is kept by name in the window's settings, and Qt keeps
    # the folders files were chosen in: neither is for other accounts to read.
    before = os.umask(0o022)  # as most desktops have it: files 0644
    try:
        window_app.keep_settings_private()
        kept = QSettings()
        kept.setValue("users/test", "Dra. Ana Souza")
        kept.sync()
        qt = QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, "QtProject")
        qt.setValue("FileDialog/lastVisited", "file:///home/ana/Documentos")
        qt.sync()
    finally:
        os.umask(before)
    ours, qts = Path(kept.fileName()), Path(qt.fileName())
    assert "Dra. Ana Souza" in ours.read_text(encoding="utf-8")
    assert "Documentos" in qts.read_text(encoding="utf-8")
    assert tmp_path in ours.parents and tmp_path in qts.parents
    assert [oct(stat.S_IMODE(f.stat().st_mode)) for f in (ours, qts, ours.parent)] == [
        "0o600", "0o600", "0o700"]
