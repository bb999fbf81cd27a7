"""Conecta as the receptionist uses it: the (+) form whose required fields follow
the channel, the board (drag a card to another status), and the composer, which
offers only templates until a WhatsApp client replies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from sqlmodel import func, select

from app.models.conecta import (
    Attendance,
    AttendanceStatus,
    ConversationEntry,
    DeliveryState,
    Direction,
    EntryKind,
)
from app.services import attendances, config, conversations
from app.services.practice import Practice
from app.ui.conecta_page import MIME
from app.ui.main_window import MainWindow
from tests.outside import writes_on_whatsapp


def count(p: Practice) -> int:
    with p.db.read() as s:
        return int(s.exec(select(func.count()).select_from(Attendance)).one())


def open_conecta(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page("conecta")
    qtbot.waitUntil(lambda: window.conecta.isVisible())


def test_new_attendance_form_follows_the_channel(qtbot: QtBot, window: MainWindow,
                                                 practice: Practice) -> None:
    config.set_value(practice, "conecta.originators.whatsapp", "+551130001000")
    config.set_value(practice, "conecta.originators.email", "agenda@bemestar.example")
    open_conecta(qtbot, window)
    qtbot.mouseClick(window.conecta.new_button, Qt.MouseButton.LeftButton)
    dialog = window.conecta.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.originator.count() == 1 and dialog.originator.isEnabled())
    assert dialog.labels["phone"].text().endswith("*")  # WhatsApp needs the phone
    assert not dialog.labels["email"].text().endswith("*")
    assert dialog.originator.currentData() == "+551130001000"
    dialog.medium.setCurrentIndex(dialog.medium.findData("email"))
    assert dialog.labels["email"].text().endswith("*")
    assert not dialog.labels["phone"].text().endswith("*")
    assert dialog.originator.currentData() == "agenda@bemestar.example"  # only this channel's
    qtbot.keyClicks(dialog.name, "Maria Silva")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "E-mail is required" in dialog.error.text())
    assert "dc2626" in dialog.email.styleSheet() and count(practice) == 0
    qtbot.keyClicks(dialog.email, "maria@example.com")
    qtbot.keyClicks(dialog.tags, "primeira consulta")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: count(practice) == 1)
    [card] = attendances.cards(practice)
    assert (card.medium.value, card.email, card.tags) == ("email", "maria@example.com",
                                                          ("primeira consulta",))
    column = window.conecta.columns[AttendanceStatus.IN_PROGRESS]
    qtbot.waitUntil(lambda: column.count() == 1)
    qtbot.waitUntil(lambda: window.conecta.view.title.text() == "Maria Silva")


def test_drag_a_card_to_pending(qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    a = attendances.start(practice, medium="voip", name="Ana Lima", phone="11987654321")
    open_conecta(qtbot, window)
    source = window.conecta.columns[AttendanceStatus.IN_PROGRESS]
    target = window.conecta.columns[AttendanceStatus.PENDING]
    qtbot.waitUntil(lambda: source.count() == 1)
    data = source.mimeData([source.item(0)])
    assert data.hasFormat(MIME)
    # What a drag does at the target: it enters, moves over it, and drops.
    at = target.viewport().rect().center()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for event in (QDragEnterEvent(at, Qt.DropAction.MoveAction, data, buttons, keys),
                  QDragMoveEvent(at, Qt.DropAction.MoveAction, data, buttons, keys),
                  QDropEvent(at.toPointF(), Qt.DropAction.MoveAction, data, buttons, keys)):
        QApplication.sendEvent(target.viewport(), event)
    qtbot.waitUntil(lambda: attendances.card(practice, a).status is AttendanceStatus.PENDING)
    qtbot.waitUntil(lambda: target.count() == 1 and source.count() == 0)


def client_writes(practice: Practice, attendance_id: int) -> None:
    """Maria's "Oi!" an hour ago: WhatsApp's 24-hour window is open for 23 more hours."""
    with practice.db.write() as s:
        s.add(ConversationEntry(attendance_id=attendance_id, direction=Direction.INBOUND,
                                kind=EntryKind.TEXT, body="Oi!", author="Maria Silva",
                                at=practice.clock.now() - timedelta(hours=1),
                                state=DeliveryState.RECEIVED))


def card_with_a_template(qtbot: QtBot, window: MainWindow, practice: Practice, body: str,
                         labels: list[str], name: str = "boas_vindas") -> tuple[Any, Any, int]:
    """A registered template and Maria's new WhatsApp card, open in Conecta: the
    card's view, its composer, and the card's id."""
    conversations.save_template(practice, name=name, language="pt_BR", body=body,
                                labels=labels)
    a = attendances.start(practice, medium="whatsapp", name="Maria Silva", phone="11987654321")
    open_conecta(qtbot, window)
    window.conecta.choose(a)
    view, composer = window.conecta.view, window.conecta.view.composer
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == a and
                    len(composer.param_edits) == len(labels))
    return view, composer, a


def test_composer_offers_templates_until_the_client_replies(qtbot: QtBot, window: MainWindow,
                                                            practice: Practice) -> None:
    view, composer, a = card_with_a_template(qtbot, window, practice,
                                             "Olá {{1}}, aqui é do consultório.", ["Nome"])
    assert composer.stack.currentIndex() == 1  # the template picker
    assert not composer.back_to_text.isEnabled() and not composer.send.isEnabled()
    assert "first contact must be an approved template" in composer.window_state.text()
    assert composer.param_edits[0].text() == "Maria"  # the linked client's first name
    assert composer.preview.text() == "Olá Maria, aqui é do consultório."
    # The client writes: the window opens, free text is offered, with the time left.
    client_writes(practice, a)
    view.load(a)
    qtbot.waitUntil(lambda: "23 h left" in composer.window_state.text())
    assert composer.send.isEnabled()
    composer.stack.setCurrentIndex(0)
    qtbot.mouseClick(composer.send, Qt.MouseButton.LeftButton)  # empty: refused, said why
    qtbot.waitUntil(lambda: "Write the message first" in composer.error.text())
    assert "Oi!" in view.thread.toPlainText()


def test_an_older_read_arriving_late_does_not_hide_the_reply(qtbot: QtBot, window: MainWindow,
                                                             practice: Practice) -> None:
    a = attendances.start(practice, medium="whatsapp", name="Maria Silva", phone="11987654321")
    open_conecta(qtbot, window)
    window.conecta.choose(a)
    view, composer = window.conecta.view, window.conecta.view.composer
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == a)
    held: list[tuple[object, int]] = []
    deliver = view._loaded

    def slow_first(result: object, token: int) -> None:  # the pool finishing out of order
        if not held:
            held.append((result, token))
        else:
            deliver(result, token)

    view._loaded = slow_first
    view.load(a)  # read before the client writes; its answer is held back
    window.tasks.wait()
    qtbot.waitUntil(lambda: bool(held))
    client_writes(practice, a)
    view.load(a)
    qtbot.waitUntil(lambda: "23 h left" in composer.window_state.text())
    deliver(*held[0])  # the older answer arrives last
    assert "23 h left" in composer.window_state.text()
    assert "Oi!" in view.thread.toPlainText()


def test_voip_card_logs_calls(qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    a = attendances.start(practice, medium="voip", name="Ana Lima", phone="11987654321")
    open_conecta(qtbot, window)
    window.conecta.choose(a)
    composer = window.conecta.view.composer
    qtbot.waitUntil(lambda: composer.stack.currentIndex() == 2)
    assert "(11) 98765-4321" in composer.call_link.text()  # the practice's own format
    composer.call_minutes.setValue(3)
    qtbot.keyClicks(composer.call_notes, "Remarcou para sexta")
    qtbot.mouseClick(composer.log_call, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(conversations.detail(practice, a).entries) == 1)
    [call] = conversations.detail(practice, a).entries
    assert (call.call_seconds, call.body) == (180, "Remarcou para sexta")
    qtbot.waitUntil(lambda: "Remarcou para sexta" in window.conecta.view.thread.toPlainText())



def test_long_thread_shows_the_latest_then_everything_in_local_time(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    a = attendances.start(practice, medium="sms", name="Ana Lima", phone="11987654321")
    start = practice.clock.now() - timedelta(hours=100)
    with practice.db.write() as s:
        for k in range(100):
            s.add(ConversationEntry(attendance_id=a, direction=Direction.INBOUND,
                                    kind=EntryKind.TEXT, body=f"mensagem numero {k}",
                                    author="Ana Lima", at=start + timedelta(hours=k),
                                    state=DeliveryState.RECEIVED))
    open_conecta(qtbot, window)
    window.conecta.choose(a)
    view = window.conecta.view
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == a)
    text = view.thread.toPlainText()
    assert "Show 20 earlier messages" in text
    assert "mensagem numero 20\n" in text and "mensagem numero 19\n" not in text
    # 11:00 UTC, shown in the practice's time.
    assert "mensagem numero 99\nAna Lima · 11/20/26, 8:00" in text
    # A click on the link shows the earlier ones.
    cursor = view.thread.document().find("Show 20 earlier messages")
    at = view.thread.cursorRect(cursor).center()
    qtbot.mouseClick(view.thread.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: "mensagem numero 0\n" in view.thread.toPlainText())
    assert "earlier messages" not in view.thread.toPlainText()


def test_list_view_shows_the_cards_with_local_times(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice) -> None:
    attendances.start(practice, medium="sms", name="Ana Lima", phone="11987654321",
                      tags=["retorno"])
    attendances.start(practice, medium="email", name="Bia Costa", email="bia@example.com",
                      status="pending")
    open_conecta(qtbot, window)
    page = window.conecta
    qtbot.waitUntil(lambda: len(page.cards) == 2)
    assert page.table.rowCount() == 0  # the board is shown: the list waits
    qtbot.mouseClick(page.list_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.rowCount() == 2)
    rows = [[page.table.item(r, c).text() for c in range(7)] for r in range(2)]
    assert {r[0] for r in rows} == {"Ana Lima", "Bia Costa"}
    ana = next(r for r in rows if r[0] == "Ana Lima")
    assert (ana[1], ana[4]) == ("SMS", "retorno") and "9:00" in ana[6]
    # A new attendance appears in the list while it is shown.
    attendances.start(practice, medium="voip", name="Caio Dias", phone="11987650000")
    qtbot.waitUntil(lambda: page.table.rowCount() == 3)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: view_title(window) == page.table.item(0, 0).text())


def view_title(window: MainWindow) -> str:
    return window.conecta.view.title.text()


def test_a_templates_parameter_labels_are_shown_as_written(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """A label is text typed in the settings: its markup and "&" are characters."""
    markup = '<b style="font-size:40px;color:red">X</b><a href="https://evil.example">y</a>'
    _view, composer, _a = card_with_a_template(qtbot, window, practice, "Olá {{1}}, {{2}}.",
                                               [markup, "&Nome"], name="rotulos")
    labels = [composer.params.labelForField(e) for e in composer.param_edits]
    assert all(isinstance(x, QLabel) and x.textFormat() == Qt.TextFormat.PlainText
               for x in labels)
    assert [x.text().replace("&&", "&").replace("\u200b", "") for x in labels] == [markup, "&Nome"]
    assert QKeySequence.mnemonic(labels[1].text()).isEmpty()


def test_a_reply_and_a_new_template_reach_an_open_card_at_once(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """The composer follows the data: no reopening the card, no restart."""
    view, composer, _a = card_with_a_template(qtbot, window, practice, "Olá {{1}}.", ["Nome"])
    assert composer.stack.currentIndex() == 1
    assert not composer.back_to_text.isEnabled()
    # A template added in Configurações shows in the open card's list.
    conversations.save_template(practice, name="lembrete_2", language="pt_BR",
                                body="Sua sessão é {{1}}.", labels=["Data"])
    qtbot.waitUntil(lambda: any(t.name == "lembrete_2" for t in composer.templates))
    # The client replies through WhatsApp: free text at once, the window's time shown.
    writes_on_whatsapp(practice, "Oi! Pode ser amanhã?", profile="Maria",
                       phone="5511987654321")
    qtbot.waitUntil(lambda: composer.stack.currentIndex() == 0, timeout=5000)
    assert composer.back_to_text.isEnabled() and composer.send.isEnabled()
    assert "24-hour window open" in composer.window_state.text()
    assert "Pode ser amanhã?" in view.thread.toPlainText()


def test_a_templates_known_parameters_are_filled_in_and_stay_editable(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    _view, composer, _a = card_with_a_template(
        qtbot, window, practice, "Olá {{1}}, sua sessão de {{3}} é {{2}}. {{4}}",
        ["Primeiro nome", "Data", "Serviço", "Observação"], name="lembrete")
    # The linked client's first name, the next session's date (today's 14:00) and service;
    # what the app does not know is left to the person.
    assert [e.text() for e in composer.param_edits] == ["Maria", "11/20/26", "Psicoterapia", ""]
    composer.param_edits[0].clear()
    qtbot.keyClicks(composer.param_edits[0], "Mariazinha")
    assert composer.preview.text().startswith("Olá Mariazinha, sua sessão de Psicoterapia")


def test_the_composer_starts_afresh_for_every_card(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    """A WhatsApp card whose window is closed, then an e-mail card: Send is enabled
    there, and nothing typed for one card is left in the other's composer."""
    config.set_value(practice, "smtp.host", "smtp.example.com")
    config.set_value(practice, "smtp.from", "agenda@example.com")
    wa = attendances.start(practice, medium="whatsapp", name="Ana Lima", phone="11987650000")
    mail = attendances.start(practice, medium="email", name="Bia Costa",
                             email="bia@example.com")
    open_conecta(qtbot, window)
    view, composer = window.conecta.view, window.conecta.view.composer
    window.conecta.choose(wa)
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == wa)
    assert not composer.send.isEnabled()
    assert "approved template" in composer.send.toolTip()  # disabled, and why
    window.conecta.choose(mail)
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == mail)
    assert composer.stack.currentIndex() == 0 and composer.subject.isVisible()
    qtbot.keyClicks(composer.subject, "Horarios")
    qtbot.keyClicks(composer.text, "Oi Bia, temos horario na terca.")
    assert composer.send.isEnabled() and composer.send.toolTip() == ""
    # Another card: the draft for Bia is not offered to Ana.
    window.conecta.choose(wa)
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == wa)
    assert composer.text.toPlainText() == "" and composer.subject.text() == ""
    window.conecta.choose(mail)
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == mail)
    assert composer.send.isEnabled()


def test_a_template_that_cannot_go_is_said_queued_with_the_reason(
        qtbot: QtBot, window: MainWindow, practice: Practice,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config.set_value(practice, "whatsapp.phone_number_id", "109876543210")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")  # no system keyring on this computer
    view, composer, a = card_with_a_template(qtbot, window, practice, "Olá {{1}}.", ["Nome"])
    qtbot.mouseClick(composer.send_template, Qt.MouseButton.LeftButton)
    said = window.statusBar()
    qtbot.waitUntil(lambda: said.currentMessage().startswith(
        "Template queued, not sent yet: No system keyring is available"), timeout=5000)
    assert "sent." not in said.currentMessage()
    [entry] = conversations.detail(practice, a).entries
    assert entry.state is DeliveryState.QUEUED and "No system keyring" in (entry.error or "")
    qtbot.waitUntil(lambda: "No system keyring" in view.thread.toPlainText(), timeout=3000)
    assert "queued" in view.thread.toPlainText() and "sending" not in view.thread.toPlainText()


def test_a_template_for_whatsapp_not_set_up_is_said_not_sent(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    view, composer, _a = card_with_a_template(qtbot, window, practice, "Olá {{1}}.", ["Nome"])
    qtbot.mouseClick(composer.send_template, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(
        "Template not sent: WhatsApp is not set up"), timeout=5000)
    qtbot.waitUntil(lambda: "WhatsApp is not set up" in view.thread.toPlainText(), timeout=3000)
