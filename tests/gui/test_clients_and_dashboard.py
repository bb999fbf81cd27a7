"""Clientes, the Ficha do Cliente (confirm from the Sessões tab's calendar icon),
the Painel's one-click confirm, the language switch, and the item models."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.i18n import set_language
from app.models.enums import Channel
from app.services import clients, queries, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.client_models import DirectoryModel, SessionsModel
from app.ui.clients_page import ClientFile
from app.ui.main_window import PAGES, MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of


def test_search_and_open_a_client_file(qtbot: QtBot, window: MainWindow,
                                       seeded: dict[str, int]) -> None:
    w = window
    QTest.keySequence(w, "Ctrl+F")
    assert w.stack.currentWidget() is w.clients and w.clients.search.hasFocus()
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == 2, timeout=3000)
    qtbot.keyClicks(w.clients.search, "alves")
    qtbot.waitUntil(lambda: [r.name for r in w.clients.model.rows] == ["João Alves"],
                    timeout=3000)
    model = w.clients.model
    assert model.data(model.index(0, 4)) == "—"  # no session due yet: no rate, not 0%
    qtbot.keyClick(w.clients.search, Qt.Key.Key_Return)
    file = w.clients.file
    assert isinstance(file, ClientFile)
    qtbot.waitUntil(lambda: file.client is not None, timeout=3000)
    assert file.title.text() == "João Alves"
    maria = next(r for r in clients.directory(w.practice) if r.name == "Maria Silva")
    assert maria.next_session is not None



def test_a_search_on_clients_paints_the_list_not_its_titles(
        qtbot: QtBot, window: MainWindow, seeded: dict[str, int]) -> None:
    """Each search resets the client list; its column titles, the same each time,
    are not painted again for it (as on Sessões: app/ui/steady_header.py)."""
    from PySide6.QtCore import QEvent, QObject

    w = window
    QTest.keySequence(w, "Ctrl+F")
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == 2, timeout=3000)
    header = w.clients.table.horizontalHeader()
    painted = {"titles": 0, "rows": 0}

    class Paints(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted["titles" if watched is header.viewport() else "rows"] += 1
            return False

    paints = Paints(header)
    header.viewport().installEventFilter(paints)
    w.clients.table.viewport().installEventFilter(paints)
    qtbot.keyClicks(w.clients.search, "alves")
    qtbot.waitUntil(lambda: [r.name for r in w.clients.model.rows] == ["João Alves"],
                    timeout=3000)
    qtbot.waitUntil(lambda: painted["rows"] > 0, timeout=3000)
    assert painted["titles"] == 0
    titles = [header.model().headerData(i, Qt.Orientation.Horizontal)
              for i in range(header.count())]
    assert titles[:2] == ["Name", "Phone"]

def test_enter_on_an_email_with_digits_opens_that_clients_file(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """The digits of an e-mail are not looked for among the phones: Enter opens the
    client whose e-mail it is, not the first of those whose number holds 13."""
    clients.add(practice, name="Daniel Moreira", phone="+55 11 91399-1324")
    mariana = clients.add(practice, name="Mariana Costa", phone="+55 11 91313-2929",
                          email="mariana.13@example.com").id
    w = window
    QTest.keySequence(w, "Ctrl+F")
    qtbot.keyClicks(w.clients.search, "mariana.13@example.com")
    qtbot.keyClick(w.clients.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.clients.file is not None and w.clients.file.client is not None,
                    timeout=3000)
    assert w.clients.file.client_id == mariana
    assert w.clients.file.title.text() == "Mariana Costa"
    assert [r.name for r in w.clients.model.rows] == ["Mariana Costa"]


def test_a_client_file_is_never_an_empty_new_client_form_while_it_is_read(
        qtbot: QtBot, window: MainWindow, seeded: dict[str, int]) -> None:
    w = window
    w.nav.setCurrentRow(PAGES.index("clients"))
    qtbot.waitUntil(lambda: w.clients.model.rowCount() == 2, timeout=3000)
    file = w.clients.open_client(seeded["joao"])
    # Before the client is read: the name the list showed, and no form to type in.
    assert file.client is None
    assert file.title.text() == "João Alves"
    assert not file.data_page.isEnabled() and not file.save_button.isEnabled()
    qtbot.waitUntil(lambda: file.client is not None, timeout=3000)
    assert file.data_page.isEnabled() and file.save_button.isEnabled()
    assert file.name.text() == "João Alves"
    # A new client's file is the form, at once.
    new = w.clients.open_client(None)
    assert new.title.text() == "New client" and new.save_button.isEnabled()


def test_confirm_from_the_sessions_tab_calendar_icon(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice,
                                                     seeded: dict[str, int]) -> None:
    w = window
    w.nav.setCurrentRow(PAGES.index("clients"))
    file = w.clients.open_client(seeded["maria"])
    qtbot.waitUntil(lambda: file.sessions_model.rowCount() == 2, timeout=3000)
    file.tabs.setCurrentIndex(1)
    model = file.sessions_model
    row = next(r for r in range(model.rowCount()) if model.rows[r].id == seeded["monday"])
    assert model.confirmable(row)
    other = next(r for r in range(model.rowCount()) if r != row)
    assert not model.confirmable(other)  # already confirmed
    assert model.index(other, 0).data() == "✓"
    index = model.index(row, SessionsModel.CONFIRM_COLUMN)
    qtbot.mouseClick(file.sessions.viewport(), Qt.MouseButton.LeftButton,
                     pos=file.sessions.visualRect(index).center())
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: not model.confirmable(
        next(r for r in range(model.rowCount()) if model.rows[r].id == seeded["monday"])),
        timeout=3000)
    menu = file.context_menu(row)
    texts = {a.text(): a.isEnabled() for a in menu.actions()}
    assert texts["Confirm appointment"] is False and texts["Cancel…"] is True


def test_editing_a_client_refuses_bad_data(qtbot: QtBot, window: MainWindow,
                                           practice: Practice, seeded: dict[str, int]) -> None:
    w = window
    file = w.clients.open_client(seeded["joao"])
    qtbot.waitUntil(lambda: file.client is not None, timeout=3000)
    assert file.phone.text() == "(21) 99876-5432"  # as the practice writes it, not +55…
    file.email.setText("joao@")
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not a valid e-mail" in file.data_error.text(), timeout=3000)
    assert clients.get(practice, seeded["joao"]).email is None
    file.email.setText("joao@example.com")
    qtbot.mouseClick(file.consent[list(file.consent)[1]], Qt.MouseButton.LeftButton,
                     pos=QPoint(8, 8))
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clients.get(practice, seeded["joao"]).email == "joao@example.com",
                    timeout=3000)
    assert clients.get(practice, seeded["joao"]).consent["email"] is not None
    assert clients.get(practice, seeded["joao"]).phone == "+5521998765432"


def test_dashboard_confirms_in_one_click(qtbot: QtBot, window: MainWindow,
                                         practice: Practice, seeded: dict[str, int]) -> None:
    w = window
    soon = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T16:00"), service_id=seeded["therapy"]))
    QTest.keySequence(w, "Ctrl+1")
    page = w.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.unconfirmed) == 1,
                    timeout=3000)
    assert [v.id for v in page.board.today] == [seeded["today"], soon]
    assert page.date_label.text() == "Friday, November 20, 2026"  # not "november"
    row = page.unconfirmed_card.rows[0]
    assert row.view.id == soon and row.button is not None  # Monday is beyond 48 hours
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, soon) == "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: page.board is not None and not page.board.unconfirmed, timeout=3000)


def test_switching_language_in_settings(qtbot: QtBot, window: MainWindow,
                                        practice: Practice) -> None:
    w = window
    w.nav.setCurrentRow(PAGES.index("settings"))
    page = w.settings_page
    qtbot.waitUntil(lambda: page.current is not None, timeout=3000)
    page.language.setCurrentIndex(page.language.findData("pt_BR"))
    qtbot.mouseClick(page.save_practice, Qt.MouseButton.LeftButton)
    try:
        qtbot.waitUntil(lambda: w.nav.item(0).text() == "Painel", timeout=3000)
        assert [w.nav.item(i).text() for i in range(6)] == [
            "Painel", "Agenda", "Sessões", "Clientes", "Conecta", "Configurações"]
        assert w.stack.currentWidget() is w.settings_page
        assert w.statusBar().currentMessage() == "Configurações salvas."  # not the old words
        qtbot.waitUntil(lambda: w.agenda.period.text() == "16\u2009–\u200922 de nov. de 2026",
                        timeout=3000)
        assert w.agenda.view_buttons["week"].text() == "Semana"
    finally:
        set_language("en")


def test_models_pass_the_model_tester(qtmodeltester, practice: Practice,  # type: ignore[no-untyped-def]
                                      seeded: dict[str, int]) -> None:
    directory = DirectoryModel()
    directory.set_rows(clients.directory(practice))
    qtmodeltester.check(directory)
    sessions = SessionsModel()
    sessions.set_rows(queries.list_appointments(practice), practice.clock.now())
    qtmodeltester.check(sessions)
    assert directory.rowCount() == 2 and sessions.rowCount() == 2


def test_confirm_by_keyboard_in_the_sessions_tab(qtbot: QtBot, window: MainWindow,
                                                 practice: Practice,
                                                 seeded: dict[str, int]) -> None:
    file = window.clients.open_client(seeded["maria"])
    qtbot.waitUntil(lambda: file.sessions_model.rowCount() == 2, timeout=3000)
    file.tabs.setCurrentIndex(1)
    model = file.sessions_model
    row = next(r for r in range(model.rowCount()) if model.rows[r].id == seeded["monday"])
    file.sessions.setFocus()
    file.sessions.setCurrentIndex(model.index(row, SessionsModel.CONFIRM_COLUMN))
    qtbot.keyClick(file.sessions, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "confirmed", timeout=3000)
    file.sessions.setCurrentIndex(model.index(row, 2))
    qtbot.keyClick(file.sessions, Qt.Key.Key_Return)
    assert seeded["monday"] in window.panels


def test_the_ficha_takes_a_call_and_only_stops_phone_notifications(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """Consent to reminder calls is ticked like the others; notifications on the phone
    are the client's to turn on (the box is greyed, saying where), the practice's to
    turn off."""
    from app.models.tables import Client
    from app.services import push_devices

    window.nav.setCurrentRow(PAGES.index("clients"))
    qtbot.mouseClick(window.clients.new_button, Qt.MouseButton.LeftButton)
    new = window.clients.stack.currentWidget()
    # A new client has no phone that turned notifications on: the box is greyed too.
    assert not new.consent[Channel.PUSH].isEnabled()
    assert "Receive reminders on this phone" in new.consent[Channel.PUSH].toolTip()
    file = window.clients.open_client(seeded["joao"])
    qtbot.waitUntil(lambda: file.client is not None, timeout=3000)
    call, push = file.consent[Channel.VOICE], file.consent[Channel.PUSH]
    assert call.text() == "Agrees to messages by Phone call" and call.isEnabled()
    assert push.text() == "Agrees to messages by Phone notification"
    assert not push.isEnabled() and "Receive reminders on this phone" in push.toolTip()
    qtbot.mouseClick(call, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clients.get(practice, seeded["joao"]).consent["voice"]
                    is not None, timeout=3000)
    # The client's phone subscribed (through the link's page): the box now stops it.
    with practice.db.write() as s:
        joao = s.get(Client, seeded["joao"])
        assert joao is not None
        push_devices.add(s, joao, "https://push.example/1", "BKey", "auth",
                         practice.clock.now())
    file = window.clients.open_client(seeded["joao"])
    qtbot.waitUntil(lambda: file.consent[Channel.PUSH].isChecked(), timeout=3000)
    push = file.consent[Channel.PUSH]
    assert push.isEnabled() and push.text().startswith(
        "Agrees to messages by Phone notification — since ")
    qtbot.mouseClick(push, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    qtbot.mouseClick(file.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clients.get(practice, seeded["joao"]).consent["push"] is None,
                    timeout=3000)
    with practice.db.read() as s:
        assert push_devices.live(s, seeded["joao"]) == []
