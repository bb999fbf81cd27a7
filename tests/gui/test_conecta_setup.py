"""Configurações › Conecta as the practice sets it up (own types, its numbers per
channel, WhatsApp templates), and the links between Conecta and the Ficha do
Cliente: starting an attendance from the file, changing a card's client."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlmodel import select

from app.models.conecta import Medium
from app.models.tables import AuditEvent
from app.services import attendances, config, conversations
from app.services.practice import Practice
from app.ui.main_window import PAGES, MainWindow


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def open_tab(qtbot: QtBot, window: MainWindow) -> object:
    window.show_page("settings")
    page = window.settings_page
    page.tabs.setCurrentWidget(page.conecta)
    qtbot.waitUntil(lambda: page.conecta.setup is not None)
    return page.conecta


def test_own_types_are_added_refused_and_removed(qtbot: QtBot, window: MainWindow,
                                                 practice: Practice) -> None:
    tab = open_tab(qtbot, window)
    assert tab.type_list.count() == 3  # the built-in ones, shown but not removable
    qtbot.keyClicks(tab.new_type, "Avaliacao")
    click(qtbot, tab.add_type_button)
    qtbot.waitUntil(lambda: tab.type_list.count() == 4)
    assert attendances.types(practice)[-1] == "Avaliacao" and tab.new_type.text() == ""
    qtbot.keyClicks(tab.new_type, "support")
    click(qtbot, tab.add_type_button)
    qtbot.waitUntil(lambda: "built-in" in tab.types_error.text())
    assert config.get(practice, "conecta.types") == "Avaliacao"
    tab.type_list.setCurrentRow(0)
    assert not tab.remove_type_button.isEnabled()
    tab.type_list.setCurrentRow(3)
    click(qtbot, tab.remove_type_button)
    qtbot.waitUntil(lambda: tab.type_list.count() == 3)
    assert config.get(practice, "conecta.types") == ""


def test_originators_are_checked_together_and_offered_per_channel(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    tab = open_tab(qtbot, window)
    qtbot.keyClicks(tab.originator_edits[Medium.WHATSAPP], "(11) 3456-7890, +5511987654321")
    qtbot.keyClicks(tab.originator_edits[Medium.EMAIL], "not-an-address")
    click(qtbot, tab.save_originators_button)
    qtbot.waitUntil(lambda: "not-an-address" in tab.originators_error.text())
    assert "dc2626" in tab.originator_edits[Medium.EMAIL].styleSheet()
    assert attendances.originators(practice, Medium.WHATSAPP) == []  # nothing half-saved
    tab.originator_edits[Medium.EMAIL].clear()
    qtbot.keyClicks(tab.originator_edits[Medium.EMAIL], "agenda@bemestar.example")
    click(qtbot, tab.save_originators_button)
    # Shown as the practice writes its numbers, stored with the country code.
    qtbot.waitUntil(lambda: tab.originator_edits[Medium.WHATSAPP].text()
                    == "(11) 3456-7890, (11) 98765-4321")
    assert attendances.originators(practice, Medium.WHATSAPP) == [
        "+551134567890", "+5511987654321"]
    assert attendances.originators(practice, Medium.EMAIL) == ["agenda@bemestar.example"]
    # The (+) form offers exactly these for WhatsApp.
    window.show_page("conecta")
    dialog = window.conecta.new_attendance()
    qtbot.waitUntil(lambda: dialog.originator.count() == 2)
    assert [dialog.originator.itemData(i) for i in range(2)] == [
        "+551134567890", "+5511987654321"]
    dialog.reject()


def test_a_whatsapp_template_is_registered_previewed_and_offered(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    tab = open_tab(qtbot, window)
    qtbot.keyClicks(tab.tp_name, "Lembrete Sessao")  # not how Meta writes names
    tab.tp_body.setPlainText("Oi {{1}}, sua sessao e {{2}}.")
    qtbot.waitUntil(lambda: len(tab.tp_param_edits) == 2)
    qtbot.keyClicks(tab.tp_param_edits[0], "Nome")
    qtbot.keyClicks(tab.tp_param_edits[1], "Data")
    assert tab.tp_preview.text() == "Oi [Nome], sua sessao e [Data]."
    click(qtbot, tab.save_template_button)
    qtbot.waitUntil(lambda: "lower case" in tab.templates_error.text())
    assert "dc2626" in tab.tp_name.styleSheet() and conversations.templates(practice) == []
    tab.tp_name.clear()
    qtbot.keyClicks(tab.tp_name, "lembrete_sessao")
    click(qtbot, tab.save_template_button)
    qtbot.waitUntil(lambda: tab.template_list.count() == 1)
    [t] = conversations.templates(practice)
    assert (t.name, t.language, t.labels) == ("lembrete_sessao", "pt_BR", ("Nome", "Data"))
    qtbot.waitUntil(lambda: tab.template_list.count() == 1)
    assert tab.template_list.currentItem().text() == "lembrete_sessao (pt_BR)"
    # A gap in the numbering is refused and changes nothing.
    tab.tp_body.setPlainText("Oi {{1}}, {{3}}")
    click(qtbot, tab.save_template_button)
    qtbot.waitUntil(lambda: "without gaps" in tab.templates_error.text())
    assert conversations.templates(practice)[0].body == "Oi {{1}}, sua sessao e {{2}}."
    # A new one, then removing the first.
    click(qtbot, tab.new_template_button)
    assert tab.tp_name.text() == "" and tab.tp_param_edits == []
    qtbot.keyClicks(tab.tp_name, "retorno")
    tab.tp_body.setPlainText("Podemos marcar seu retorno?")
    click(qtbot, tab.save_template_button)
    qtbot.waitUntil(lambda: tab.template_list.count() == 2)
    tab.template_list.setCurrentRow(0)
    assert tab.tp_name.text() == "lembrete_sessao"
    assert [e.text() for e in tab.tp_param_edits] == ["Nome", "Data"]
    click(qtbot, tab.remove_template_button)
    qtbot.waitUntil(lambda: tab.template_list.count() == 1)
    assert [x.name for x in conversations.templates(practice)] == ["retorno"]


def test_start_an_attendance_from_the_client_file(qtbot: QtBot, window: MainWindow,
                                                  practice: Practice,
                                                  seeded: dict[str, int]) -> None:
    window.show_page("clients")
    file = window.clients.open_client(seeded["maria"])
    qtbot.waitUntil(lambda: file.client is not None)
    click(qtbot, file.attend_button)
    dialog = window.conecta.dialog
    assert dialog is not None and dialog.client_id == seeded["maria"]
    assert dialog.name.text() == "Maria Silva" and dialog.phone.text() == "(11) 98765-4321"
    assert dialog.medium.currentData() == "whatsapp"
    click(qtbot, dialog.start_button)
    qtbot.waitUntil(lambda: len(attendances.cards(practice)) == 1)
    [card] = attendances.cards(practice)
    assert (card.client_id, card.phone, card.medium) == (seeded["maria"], "+5511987654321",
                                                         Medium.WHATSAPP)
    qtbot.waitUntil(lambda: window.conecta.isVisible())
    qtbot.waitUntil(lambda: window.conecta.view.title.text() == "Maria Silva")
    assert "Maria Silva" in window.conecta.view.client.text()


def test_change_and_remove_the_client_of_a_card(qtbot: QtBot, window: MainWindow,
                                                practice: Practice,
                                                seeded: dict[str, int]) -> None:
    a = attendances.start(practice, medium="sms", name="Joao", phone="+5511955554444")
    assert attendances.card(practice, a).client_id is None  # no file has this number
    window.show_page("conecta")
    qtbot.waitUntil(lambda: window.conecta.isVisible())
    window.conecta.choose(a)
    view = window.conecta.view
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == a)
    assert view.client.text() == "Not linked to a client."
    assert not view.open_client_button.isEnabled()
    picker = view.pick_client()
    assert picker is not None
    picker.search.clear()
    qtbot.keyClicks(picker.search, "Alves")
    qtbot.waitUntil(lambda: len(picker.matches) == 1 and not picker.timer.isActive())
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: attendances.card(practice, a).client_id == seeded["joao"])
    qtbot.waitUntil(lambda: "João Alves" in view.client.text())
    assert view.open_client_button.isEnabled()
    with practice.db.read() as s:
        changed = s.exec(select(AuditEvent).where(AuditEvent.entity_id == a,
                                                  AuditEvent.action == "attendance_changed")
                         ).one()
    assert json.loads(changed.changes)["client_id"] == [None, seeded["joao"]]
    click(qtbot, view.open_client_button)  # the Ficha do Cliente of the linked client
    file = window.clients.file
    assert file is not None and window.clients.isVisible() and file.client_id == seeded["joao"]
    qtbot.waitUntil(lambda: file.title.text() == "João Alves")
    window.show_page("conecta")
    picker = view.pick_client()
    assert picker is not None and picker.unlink_button.isEnabled()
    click(qtbot, picker.unlink_button)
    qtbot.waitUntil(lambda: attendances.card(practice, a).client_id is None)
    qtbot.waitUntil(lambda: view.client.text() == "Not linked to a client.")
    assert not view.open_client_button.isEnabled()


def test_opening_an_unread_card_loads_it_once(qtbot: QtBot, window: MainWindow,
                                              practice: Practice) -> None:
    a = attendances.start(practice, medium="sms", name="Bia", phone="+5511955554444")
    with practice.db.write() as s:
        from app.models.conecta import Attendance

        row = s.get(Attendance, a)
        assert row is not None
        row.unread = 2
    window.show_page("conecta")
    qtbot.waitUntil(lambda: window.conecta.isVisible())
    window.update_unread()
    qtbot.waitUntil(lambda: window.nav.item(PAGES.index("conecta")).text().endswith("(2)"))
    # What the set-up announced (the new attendance) is taken in before the count
    # starts: a busy machine may deliver it late.
    qtbot.wait(200)
    window.tasks.wait()
    loads: list[int] = []
    view = window.conecta.view
    original = view._loaded
    view._loaded = lambda result, token: (loads.append(result[0].card.id),
                                          original(result, token))
    window.conecta.choose(a)
    qtbot.waitUntil(lambda: window.nav.item(PAGES.index("conecta")).text() == "Conecta")
    qtbot.wait(300)
    window.tasks.wait()
    assert loads == [a]
    assert attendances.card(practice, a).unread == 0
