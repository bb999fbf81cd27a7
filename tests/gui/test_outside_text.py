"""Text from outside the practice is shown as the characters it is. A client's
name, a reason written on the confirmation link, notes, a WhatsApp message and
its sender's profile name, an SMS, an e-mail's subject and text, what a provider
answered, and a spreadsheet's cells, each holding markup (large red text, a link
elsewhere), are put in through the doors they come in by; each screen that shows
them shows the markup literally, as plain text, with no link in it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QEvent, Qt, QTime
from PySide6.QtGui import QHelpEvent, QKeySequence, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton, QToolTip
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.models.outbox import MessageState, OutboxMessage
from app.models.transitions import Action
from app.services import attendances, clients, conversations, queries, reminders, scheduling
from app.services.attendances import Card
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.appointment_panel import AppointmentPanel
from app.ui.dashboard_page import DecisionRow, RequestRow, SessionRow
from app.ui.dialogs import RescheduleDialog
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.test_import_wizard import open_wizard
from tests.outside import MARKUP, asks_to_cancel, sends_email, sends_sms, writes_on_whatsapp

NAME = '<b style="color:red">Ana</b> & <a href="https://evil.example">Lima</a>'
PLAIN = Qt.TextFormat.PlainText


def document(rich: str) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(rich)
    return doc


def shown(text: str) -> str:
    """What a tooltip or a message box shows of `text`: Qt renders it as rich text
    when it looks like markup (Qt.mightBeRichText), else as it is."""
    seen = document(text).toPlainText() if QtGui.Qt.mightBeRichText(text) else text
    return unbroken(seen)


def unbroken(text: str) -> str:
    """Without the zero-width spaces a long word gets so it can wrap (display only)."""
    return text.replace("\u200b", "")


def no_links(doc: QTextDocument) -> bool:
    return "<a " not in doc.toHtml()  # Qt writes a link back as <a href=…>; text as &lt;a


def assert_plain(label: QLabel, text: str) -> None:
    assert text in unbroken(label.text())
    assert label.textFormat() == PLAIN, label.text()


def tooltip_at(qtbot: QtBot, window: MainWindow, appointment_id: int) -> str:
    """Hovers a session's block in the agenda; returns the tooltip it shows."""
    grid = window.agenda.grid
    qtbot.waitUntil(lambda: grid.block_rect(appointment_id) is not None, timeout=5000)
    rect = grid.block_rect(appointment_id)
    assert rect is not None
    pos = rect.center().toPoint()
    qtbot.mouseMove(grid, pos)  # the pointer comes to rest on the block
    QApplication.sendEvent(grid, QHelpEvent(QEvent.Type.ToolTip, pos, grid.mapToGlobal(pos)))
    assert QToolTip.isVisible()
    return QToolTip.text()


def open_panel(qtbot: QtBot, window: MainWindow, appointment_id: int) -> AppointmentPanel:
    panel = window.open_appointment(appointment_id)
    qtbot.waitUntil(lambda: panel.view is not None, timeout=5000)
    return panel


def test_a_clients_name_is_shown_as_typed_everywhere(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ana = clients.add(practice, name=NAME, phone="+55 11 97777-1111",
                      email="ana@example.com").id
    session = scheduling.book(practice, BookingRequest(
        client_id=ana, start=local("2026-11-20T16:00"), service_id=seeded["therapy"],
        notes=MARKUP))
    # The agenda's tooltip: the name in bold as the app writes it, its markup as text.
    tip = tooltip_at(qtbot, window, session)
    assert shown(tip).splitlines()[0] == NAME and no_links(document(tip))
    # The session's panel: the title, the client and the session's notes.
    panel = open_panel(qtbot, window, session)
    assert panel.title.text() == NAME and panel.title.textFormat() == PLAIN
    assert_plain(panel.fields["client"], NAME)
    assert_plain(panel.fields["notes"], MARKUP)
    assert_plain(panel.fields["contact"], "ana@example.com")
    panel.close()
    # The Painel's sessions of today: a button whose "&" is not a keyboard shortcut.
    window.show_page("dashboard")
    page = window.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.today) == 2,
                    timeout=5000)
    row = next(r for r in page.today_card.rows
               if isinstance(r, SessionRow) and r.view.id == session)
    assert NAME.startswith(row.link.text().replace("&&", "&").removesuffix("…"))
    assert shown(row.link.toolTip()) in ("", NAME)  # shortened: the whole in the tooltip
    assert row.service.text() == "Psicoterapia" and row.service.textFormat() == PLAIN
    assert QKeySequence.mnemonic(row.link.text()).isEmpty()
    # Rescheduling Maria over Ana's time names Ana in the conflict, as typed.
    panel = open_panel(qtbot, window, seeded["today"])
    qtbot.mouseClick(panel.buttons[Action.RESCHEDULE], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    dialog.time.setTime(QTime(16, 0))
    qtbot.waitUntil(lambda: NAME in dialog.status.text(), timeout=5000)
    assert dialog.status.textFormat() == PLAIN and dialog.intro.textFormat() == PLAIN
    dialog.reject()
    panel.close()
    # The Ficha do Cliente, and the warning before erasing the client's data.
    file = window.open_client(ana)
    qtbot.waitUntil(lambda: file.client is not None, timeout=5000)
    assert file.title.text() == NAME and file.title.textFormat() == PLAIN
    asked: list[str] = []

    def warning(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    file.erase_action.trigger()
    [text] = asked
    assert shown(text).startswith(f"Erase {NAME}'s name") and no_links(document(text))


def test_a_reason_written_on_the_link_is_shown_as_written(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    clients.update(practice, seeded["maria"], name=NAME)
    asks_to_cancel(practice, seeded["monday"], MARKUP)
    window.show_page("dashboard")
    page = window.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.requests) == 1,
                    timeout=5000)
    row = next(r for r in page.decisions_card.rows if isinstance(r, RequestRow))
    assert unbroken(row.reason.text()) == f"Reason: {MARKUP}" and row.reason.textFormat() == PLAIN
    head = document(row.head.text())
    assert NAME in unbroken(head.toPlainText()) and no_links(head)
    # Charged per the policy: the reason stays with the session, shown as written.
    qtbot.mouseClick(row.buttons["charge"], Qt.MouseButton.LeftButton)
    box = row.question  # charging cancels for good: it asks first
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    qtbot.mouseClick(box.buttons()[0] if box.buttonRole(box.buttons()[0]) ==
                     box.ButtonRole.AcceptRole else box.buttons()[1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queries.show(practice, seeded["monday"]).status.value ==
                    "cancelled", timeout=5000)
    panel = open_panel(qtbot, window, seeded["monday"])
    assert_plain(panel.fields["cancellation"], MARKUP)
    assert any(MARKUP in panel.history.item(i).text() for i in range(panel.history.count()))


def test_what_a_provider_answered_is_shown_as_it_came(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """A provider's error may quote what it was sent, or be anyone's server talking."""
    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL])
    failed = reminders.add(practice, seeded["monday"], Channel.EMAIL, 240).id
    with practice.db.write() as s:
        row = s.get(OutboxMessage, failed)
        assert row is not None
        row.state, row.last_error = MessageState.FAILED, MARKUP
    window.show_page("dashboard")
    page = window.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.failures) == 1,
                    timeout=5000)
    [decision] = [r for r in page.failures_card.rows if isinstance(r, DecisionRow)]
    assert unbroken(decision.reason.text()) == MARKUP and decision.reason.textFormat() == PLAIN
    panel = open_panel(qtbot, window, seeded["monday"])
    panel.tabs.setCurrentIndex(2)
    item = panel.reminder_table.item(0, 4)
    assert item is not None and item.text() == MARKUP
    assert shown(item.toolTip()) == MARKUP and no_links(document(item.toolTip()))


def open_card(qtbot: QtBot, window: MainWindow, practice: Practice, card: Card) -> None:
    window.show_page("conecta")
    page = window.conecta
    qtbot.waitUntil(lambda: any(c.id == card.id for c in page.cards), timeout=5000)
    page.choose(card.id)
    view = page.view
    qtbot.waitUntil(lambda: view.detail is not None and view.detail.card.id == card.id,
                    timeout=5000)


def only_card(practice: Practice) -> Card:
    [card] = attendances.cards(practice, attendances.Filter())
    return card


def test_a_whatsapp_message_and_its_senders_name_are_shown_as_sent(
        qtbot: QtBot, window: MainWindow, practice: Practice) -> None:
    writes_on_whatsapp(practice, MARKUP + "\nsegunda linha", profile=NAME)
    card = only_card(practice)
    open_card(qtbot, window, practice, card)
    view = window.conecta.view
    assert view.title.text() == NAME and view.title.textFormat() == PLAIN
    thread = view.thread.document()
    assert f"{MARKUP}\nsegunda linha" in thread.toPlainText()
    assert NAME in thread.toPlainText() and no_links(thread)
    # The list view shows the name as an item's text, which is never markup.
    window.conecta.set_view(1)
    qtbot.waitUntil(lambda: window.conecta.table.rowCount() == 1, timeout=5000)
    assert window.conecta.table.item(0, 0).text() == NAME


def test_an_sms_is_shown_as_sent(qtbot: QtBot, window: MainWindow,
                                 practice: Practice) -> None:
    sends_sms(practice, MARKUP)
    open_card(qtbot, window, practice, only_card(practice))
    thread = window.conecta.view.thread.document()
    assert MARKUP in thread.toPlainText() and no_links(thread)


def test_an_email_is_shown_as_sent(qtbot: QtBot, window: MainWindow, practice: Practice,
                                   seeded: dict[str, int]) -> None:
    subject = '<i style="font-size:30px">Urgente</i> <a href="https://evil.example">aqui</a>'
    sends_email(practice, "maria@example.com", NAME, subject, MARKUP)
    card = only_card(practice)
    # The reply goes out under the client's subject, shown in bold above it.
    conversations.send_text(practice, card.id, "Recebido, obrigada.")
    open_card(qtbot, window, practice, card)
    view = window.conecta.view
    assert_plain(view.title, "Maria Silva")  # the client's file names the card
    qtbot.waitUntil(lambda: "Recebido" in view.thread.document().toPlainText(), timeout=5000)
    thread = view.thread.document()
    assert MARKUP in thread.toPlainText() and subject in thread.toPlainText()
    assert no_links(thread)


def test_spreadsheet_cells_are_shown_as_written(
        qtbot: QtBot, window: MainWindow, practice: Practice, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = '<i>Terapia</i> <a href="https://evil.example">x</a>'
    phone = '<a href="https://evil.example">123</a>'
    f = tmp_path / "agenda.csv"
    with f.open("w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out, delimiter=";")
        rows.writerow(["Paciente", "Celular", "Dia", "Horário", "Serviço", "Duração"])
        rows.writerow([NAME, "11 93333-4444", "24/11/2026", "11:00", service, "50"])
        rows.writerow(["Bia Souza", phone, "24/11/2026", "15:00", "Psicoterapia", "50"])
    dialog = open_wizard(window, qtbot, f, monkeypatch)
    assert dialog.preview.item(0, 0).text() == NAME
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=5000)
    model = dialog.model
    invalid = next(r for r in range(model.rowCount()) if model.index(r, 2).data() == "Invalid")
    reason = model.index(invalid, 7).data()
    assert phone in reason
    tip = model.index(invalid, 7).data(Qt.ItemDataRole.ToolTipRole)
    assert shown(tip) == reason and no_links(document(tip))
    dialog.table.setCurrentIndex(model.index(invalid, 3))
    assert_plain(dialog.detail, phone)
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 3, timeout=5000)
    assert_plain(dialog.done_label, f"New services: {service}.")
    dialog.accept()
    # In the agenda, the imported session's tooltip shows the cells as they were.
    [session] = [v for v in queries.list_appointments(practice) if v.client_name == NAME]
    window.agenda.jump(session.start.date())
    tip = tooltip_at(qtbot, window, session.id)
    assert shown(tip).splitlines()[:2] == [NAME, service] and no_links(document(tip))


def test_one_endless_word_never_widens_the_painel_past_the_screen(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    word = "A" * 2000
    ana = clients.add(practice, name=word, phone="+55 11 97777-1111").id
    today = scheduling.book(practice, BookingRequest(
        client_id=ana, start=local("2026-11-20T16:00"), service_id=seeded["therapy"]))
    later = scheduling.book(practice, BookingRequest(
        client_id=ana, start=local("2026-11-24T16:00"), service_id=seeded["therapy"]))
    asks_to_cancel(practice, later, "B" * 2000)
    window.resize(1366, 768)
    window.show()
    window.show_page("dashboard")
    page = window.dashboard
    qtbot.waitUntil(lambda: page.board is not None and any(
        isinstance(r, RequestRow) for r in page.findChildren(RequestRow)), timeout=5000)
    qtbot.wait(100)
    right = window.mapToGlobal(window.rect().topRight()).x()

    def shown_now() -> tuple[SessionRow, RequestRow]:
        # Read again at each look: the Painel may rebuild its rows as data arrives.
        row = next(r for r in page.today_card.rows
                   if isinstance(r, SessionRow) and r.view.id == today)
        return row, next(iter(page.findChildren(RequestRow)))

    def edges() -> list[int]:
        row, request = shown_now()
        widgets = (row.link, *row.findChildren(QPushButton), *request.buttons.values(),
                   request.reason)
        return [w.mapToGlobal(w.rect().topRight()).x() for w in widgets]

    # Once the layout has settled (a busy machine takes longer), nothing passes it.
    qtbot.waitUntil(lambda: max(edges()) <= right, timeout=3000)
    row, request = shown_now()
    assert row.link.text().endswith("…") and word in shown(row.link.toolTip())
    assert request.reason.text().replace("\u200b", "") == f"Reason: {'B' * 2000}"
