"""Configurações › Banco de dados, as a person uses it: it says where the practice
is, says in one sentence why a server cannot be used, moves the practice to the
practice's server, and reopens the window's practice from there; the set-up
assistant's "join a practice" connects a new computer to it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, text

from app.services import clients, first_run, this_computer
from app.services import settings as practice_settings
from app.services.practice import Practice, open_practice
from app.ui.database_tab import DatabaseTab
from app.ui.main_window import PAGES, MainWindow
from tests.fakes.postgres import PostgresCluster


def open_database_tab(qtbot: QtBot, w: MainWindow) -> DatabaseTab:
    w.nav.setCurrentRow(PAGES.index("settings"))
    tabs = w.settings_page.tabs
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Database")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    tab = w.settings_page.database
    assert tabs.currentWidget() is tab
    qtbot.waitUntil(lambda: tab.state is not None, timeout=5000)
    return tab


def type_into(qtbot: QtBot, field: object, words: str) -> None:
    field.clear()  # type: ignore[attr-defined]
    qtbot.keyClicks(field, words)


def test_the_practice_moves_to_its_server_and_the_window_reopens_it(
        qtbot: QtBot, window: MainWindow, practice: Practice, data_dir: Path,
        postgres: PostgresCluster) -> None:
    tab = open_database_tab(qtbot, window)
    assert tab.where.text().startswith("This computer keeps the practice in its own file: "
                                       f"{practice.paths.database}.")
    assert tab.move_button.isVisible() and not tab.file_button.isVisible()
    # A database name typed wrong: one sentence, nothing saved.
    type_into(qtbot, tab.form.host, f"127.0.0.1:{postgres.port}")
    type_into(qtbot, tab.form.database, "consultorio")
    type_into(qtbot, tab.form.user, "postgres")
    qtbot.mouseClick(tab.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.result.text().startswith("⚠"), timeout=10_000)
    assert tab.result.text() == (f"⚠ The practice's server has no database 127.0.0.1:"
                                 f"{postgres.port}/consultorio: check its name.")
    assert this_computer.read(practice.paths).database_url == ""
    # The right one: an empty database made for the practice.
    url = postgres.new_database()
    name = url.rsplit("/", 1)[1]
    type_into(qtbot, tab.form.database, name)
    qtbot.mouseClick(tab.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "was copied to" in tab.result.text(), timeout=30_000)
    assert tab.result.text().startswith(f"The practice was copied to 127.0.0.1:{postgres.port}"
                                        f"/{name} (")
    assert "press Reopen now" in tab.result.text()
    engine = create_engine(url)
    with engine.connect() as conn:
        names = sorted(conn.execute(text("SELECT name FROM client")).scalars())
    engine.dispose()
    assert names == ["João Alves", "Maria Silva"]
    assert this_computer.read(practice.paths).database_url == url
    qtbot.waitUntil(lambda: tab.state is not None and tab.state.engine == "postgresql",
                    timeout=10_000)
    assert tab.where.text() == (f"This computer uses the practice's server at 127.0.0.1:"
                                f"{postgres.port}/{name} as postgres. It answers.")
    assert tab.file_button.isVisible() and not tab.move_button.isVisible()
    assert tab.reopen_button.isVisible()
    qtbot.mouseClick(tab.reopen_button, Qt.MouseButton.LeftButton)
    assert window.reopening and not window.isVisible()
    # What the window opens next: the practice on the server.
    again = open_practice(data_dir, logging_on=False)
    try:
        assert again.db.on_server
        assert sorted(c.name for c in clients.search(again, "")) == names
    finally:
        again.close()


def test_a_new_computer_joins_a_practice_from_the_set_up_assistant(
        qtbot: QtBot, practice: Practice, postgres: PostgresCluster) -> None:
    QSettings().setValue("window/page", "agenda")
    w = MainWindow(practice, practice_settings.get(practice).zone)
    qtbot.addWidget(w)
    w.show()
    w.open_first_run()
    qtbot.waitUntil(lambda: w.first_run is not None and w.first_run.isVisible(), timeout=5000)
    wizard = w.first_run
    qtbot.mouseClick(wizard.join_button, Qt.MouseButton.LeftButton)
    dialog = wizard.join_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    url = postgres.practice_database()
    type_into(qtbot, dialog.form.host, f"127.0.0.1:{postgres.port}")
    type_into(qtbot, dialog.form.database, url.rsplit("/", 1)[1])
    type_into(qtbot, dialog.form.user, "postgres")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.connect_button.text() == "Open the practice",
                    timeout=10_000)
    assert dialog.result.text().startswith(f"Connected to 127.0.0.1:{postgres.port}/")
    assert this_computer.read(practice.paths).database_url == url
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=3000)
    assert w.reopening and not w.isVisible()
    # This computer's own file was not marked as set up or skipped: it was left alone.
    assert first_run.needed(practice)
    w.tasks.wait()
