"""The practice's server goes away while the window is open, or is away when it
starts: the window says so and waits, saving says why it cannot and changes
nothing, and when the server is back everything goes on by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.services import clients, settings, this_computer
from app.services.clock import FrozenClock
from app.services.paths import DataPaths
from app.services.practice import Practice, open_practice
from app.ui.main_window import MainWindow
from app.ui.server_wait import ServerWait
from tests.conftest import NOW, add_client
from tests.fakes.postgres import PostgresCluster


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[PostgresCluster, Path]]:
    """A server of this test's own, to switch off and on. Its database is made by
    the app, not copied from a template: a copied sequence does not survive the
    server's crash (its pre-logged values were logged in the template's WAL)."""
    cluster = PostgresCluster().start()
    folder = tmp_path / "recepcao"
    this_computer.save(DataPaths(folder), database_url=cluster.new_database())
    try:
        yield cluster, folder
    finally:
        cluster.stop()


def test_the_window_waits_for_the_server_and_goes_on_when_it_is_back(
        qtbot: QtBot, own_server: tuple[PostgresCluster, Path]) -> None:
    cluster, folder = own_server
    p = open_practice(folder, clock=FrozenClock(NOW), actor="Carla", logging_on=False)
    settings.set_value(p, "timezone", "America/Sao_Paulo")
    maria = add_client(p)
    QSettings().setValue("window/page", "agenda")
    # With its worker, as the app runs: the sender, the relay's poller and the
    # daily copy all wait quietly for the server (an ERROR logged fails the test).
    w = MainWindow(p, settings.get(p).zone, background_worker=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(1500)  # its pages loaded and the change feed followed, as all day
    try:
        cluster.pause()
        qtbot.waitUntil(lambda: "does not answer" in w.statusBar().currentMessage(),
                        timeout=10_000)
        assert "reconnects by itself" in w.statusBar().currentMessage()
        failed: list[BaseException] = []
        w.tasks.run(lambda: clients.update(p, maria, notes="durante a queda"),
                    lambda _r: None, failed.append)
        qtbot.waitUntil(lambda: bool(failed), timeout=15_000)
        assert "does not answer. Nothing was lost" in str(failed[0])
        cluster.resume()
        qtbot.waitUntil(lambda: "answers again" in w.statusBar().currentMessage(),
                        timeout=20_000)
        clients.update(p, maria, notes="depois da volta")  # the pool reconnected
        assert clients.get(p, maria).notes == "depois da volta"
    finally:
        w.quit()
        w.tasks.wait()
        p.close()


def test_at_start_up_the_window_waits_until_the_server_answers(
        qtbot: QtBot, own_server: tuple[PostgresCluster, Path]) -> None:
    cluster, folder = own_server
    cluster.pause()
    dialog = ServerWait(folder, "The practice's server does not answer.")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.attempt()
    qtbot.waitUntil(lambda: dialog.retry_button.isEnabled(), timeout=15_000)
    assert "does not answer" in dialog.problem.text() and dialog.practice is None
    cluster.resume()
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.practice is not None, timeout=15_000)
    assert dialog.result() == ServerWait.DialogCode.Accepted
    assert dialog.opened is not None
    practice, watcher = dialog.opened
    # Following the server's change feed from before the window reads anything.
    assert practice.db.on_server and watcher.following
    watcher.close()
    practice.close()


def test_a_window_whose_practice_moved_offers_to_reopen_and_saves_nothing(
        qtbot: QtBot, practice: Practice, own_server: tuple[PostgresCluster, Path]) -> None:
    """The practice was moved to the server from a terminal while this window was
    open: its next save is refused with the sentence, and it offers to reopen."""
    cluster, _folder = own_server
    maria = add_client(practice)
    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    this_computer.save(practice.paths, database_url=cluster.practice_database())
    w.tasks.run(lambda: clients.update(practice, maria, notes="perdida"), lambda _r: None,
                w.show_error)
    box = None

    def offered() -> bool:
        nonlocal box
        box = next((b for b in w.findChildren(QMessageBox) if b.isVisible()), None)
        return box is not None

    qtbot.waitUntil(offered, timeout=5000)
    assert box is not None and "now opens the practice at postgresql" in box.text()
    assert [b.text() for b in box.buttons()] == ["Reopen now", "Later"]
    later = box.buttons()[1]
    qtbot.mouseClick(later, Qt.MouseButton.LeftButton)
    assert clients.get(practice, maria).notes == ""
    w.close()
    w.tasks.wait()


def test_a_copy_asked_for_while_the_server_is_away_says_so_and_keeps_nothing(
        own_server: tuple[PostgresCluster, Path], tmp_path: Path) -> None:
    from app.services import backups
    from app.services.errors import DatabaseUnavailable

    cluster, folder = own_server
    p = open_practice(folder, logging_on=False)
    try:
        cluster.pause()
        with pytest.raises(DatabaseUnavailable, match="does not answer"):
            backups.backup(p, tmp_path / "copia.sqlite3")
        assert not list(tmp_path.glob("copia*"))
    finally:
        cluster.resume()
        p.close()
