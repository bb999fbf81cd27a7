"""The window opens with only the page it shows; every other page is built the
first time someone reaches it (a click, a shortcut, a menu, a link from another
page), with everything that happened meanwhile."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.services import attendances, clients
from app.services.events import Change
from app.services.practice import Practice
from app.ui.main_window import PAGES, MainWindow
from tests.conftest import add_client

OTHERS = [name for name in PAGES if name != "agenda"]


def click_page(qtbot: QtBot, w: MainWindow, name: str) -> None:
    item = w.nav.item(PAGES.index(name))
    rect = w.nav.visualItemRect(item)
    qtbot.mouseClick(w.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_window_opens_with_the_agenda_alone(window: MainWindow) -> None:
    w = window
    assert w.built("agenda") is w.agenda
    assert [name for name in OTHERS if w.built(name) is not None] == []
    assert w.stack.count() == len(PAGES)
    assert w.stack.currentWidget() is w.agenda
    assert [w.nav.item(i).text().split("  ")[0] for i in range(w.nav.count())] == [
        "Dashboard", "Agenda", "Sessions", "Clients", "Conecta", "Settings"]


def test_a_click_builds_the_page_with_what_happened_before(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    w = window
    # A client added while Clientes did not exist yet: nobody to tell, nothing lost.
    add_client(practice, "Zélia Duarte", "+55 11 91234-0000", None)
    click_page(qtbot, w, "clients")
    assert w.built("clients") is not None and w.stack.currentWidget() is w.clients
    qtbot.waitUntil(lambda: sorted(r.name for r in w.clients.model.rows) == [
        "João Alves", "Maria Silva", "Zélia Duarte"], timeout=3000)
    # The phones in the practice's country's way, as the catalogue said before
    # the page existed.
    model = w.clients.model
    row = next(i for i, r in enumerate(model.rows) if r.name == "Zélia Duarte")
    assert model.data(model.index(row, 1)) == "(11) 91234-0000"
    # Built once: going away and back keeps the same page.
    page = w.clients
    click_page(qtbot, w, "agenda")
    click_page(qtbot, w, "clients")
    assert w.clients is page and w.stack.currentWidget() is page


def test_shortcuts_and_menus_reach_pages_not_built_yet(qtbot: QtBot,
                                                       window: MainWindow) -> None:
    w = window
    QTest.keySequence(w, "Ctrl+Shift+N")  # File › New attendance…, from the agenda
    qtbot.waitUntil(lambda: w.built("conecta") is not None and
                    w.conecta.dialog is not None and w.conecta.dialog.isVisible(),
                    timeout=3000)
    w.conecta.dialog.reject()
    assert w.stack.currentWidget() is w.agenda  # built, not shown
    QTest.keySequence(w, "Ctrl+5")
    assert w.stack.currentWidget() is w.settings_page
    # Configurações built after the catalogue came: its services are listed.
    qtbot.waitUntil(lambda: [w.settings_page.service_list.item(i).text()
                             for i in range(w.settings_page.service_list.count())] ==
                    ["Psicoterapia"], timeout=3000)
    view = next(a for a in w.menuBar().actions() if a.text() == "&View").menu()
    next(a for a in view.actions() if a.text() == "Sessions").trigger()
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.sessions and
                    w.sessions.count_label.text() != "", timeout=3000)


def test_conectas_count_comes_without_building_conecta(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    w = window
    item = w.nav.item(PAGES.index("conecta"))
    qtbot.waitUntil(lambda: item.text() == "Conecta", timeout=3000)
    a = attendances.start(practice, medium="sms", name="Bia", phone="+5511955554444")
    with practice.db.write() as s:
        from app.models.conecta import Attendance

        row = s.get(Attendance, a)
        assert row is not None
        row.unread = 2
    practice.bus.publish(Change.of(conversations=[a]))  # as another computer's reply does
    qtbot.waitUntil(lambda: item.text() == "Conecta  (2)", timeout=3000)
    assert w.built("conecta") is None


def test_a_change_reaches_the_pages_built_and_only_those(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    w = window
    click_page(qtbot, w, "clients")
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == 2, timeout=3000)
    click_page(qtbot, w, "agenda")
    clients.add(practice, name="Otávio Reis", phone="+55 11 95555-1111", email=None)
    click_page(qtbot, w, "clients")
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == 3, timeout=3000)
    assert w.built("dashboard") is None and w.built("conecta") is None
