"""The Lembretes tab (add, remove, states in words) and the Painel's decisions on
messages that failed or whose fate is unknown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.models.outbox import MessageState, OutboxMessage
from app.services import clients, config, reminders
from app.services.practice import Practice
from app.ui.main_window import PAGES, MainWindow


def test_lembretes_tab_adds_and_removes(qtbot: QtBot, window: MainWindow, practice: Practice,
                                        seeded: dict[str, int]) -> None:
    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL, Channel.WHATSAPP])
    panel = window.open_appointment(seeded["monday"])
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    panel.tabs.setCurrentIndex(2)
    assert panel.reminder_table.rowCount() == 0
    panel.reminder_channel.setCurrentIndex(panel.reminder_channel.findData("email"))
    panel.reminder_minutes.setValue(60)
    qtbot.keyClicks(panel.reminder_text, "Traga os exames")
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_table.rowCount() == 1, timeout=3000)
    [m] = reminders.list_for(practice, seeded["monday"])
    assert (m.channel, m.minutes_before, m.custom_text, m.state) == (
        "email", 60, "Traga os exames", "pending")
    assert panel.reminder_table.item(0, 0).text() == "11/23/26, 9:00\u202fAM"
    assert panel.reminder_table.item(0, 2).text() == "Waiting"
    panel.reminder_table.selectRow(0)
    qtbot.mouseClick(panel.remove_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_table.item(0, 2).text() == "Cancelled",
                    timeout=3000)
    assert reminders.list_for(practice, seeded["monday"])[0].state == "cancelled"


def test_painel_asks_about_unknown_and_failed_messages(qtbot: QtBot, window: MainWindow,
                                                       practice: Practice,
                                                       seeded: dict[str, int]) -> None:
    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL])
    config.set_value(practice, "reminders.default", "email:60,email:1440")
    lost = reminders.add(practice, seeded["monday"], Channel.EMAIL, 120).id
    failed = reminders.add(practice, seeded["monday"], Channel.EMAIL, 240).id
    with practice.db.write() as s:
        for message_id, state, why in ((lost, MessageState.UNKNOWN, "The app stopped"),
                                       (failed, MessageState.FAILED, "Server refused")):
            row = s.get(OutboxMessage, message_id)
            assert row is not None
            row.state, row.last_error = state, why
    window.nav.setCurrentRow(PAGES.index("dashboard"))
    page = window.dashboard
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.decisions) == 2,
                    timeout=3000)
    rows = {r.message.id: r for r in page.decisions_card.rows}
    qtbot.mouseClick(rows[lost].buttons["mark_sent"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reminders.list_for(practice, seeded["monday"]) and
                    _state(practice, seeded["monday"], lost) == "sent", timeout=3000)
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.decisions) == 1,
                    timeout=3000)
    rows = {r.message.id: r for r in page.decisions_card.rows}
    qtbot.mouseClick(rows[failed].buttons["retry"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _state(practice, seeded["monday"], failed) == "pending",
                    timeout=3000)


def _state(practice: Practice, appointment_id: int, message_id: int) -> str:
    return next(m.state for m in reminders.list_for(practice, appointment_id)
                if m.id == message_id)


def test_closing_to_the_tray_keeps_sending_and_quit_stops(qtbot: QtBot, practice: Practice
                                                          ) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    from app.services import settings
    from app.services.worker import Worker

    w = MainWindow(practice, settings.get(practice).zone)
    qtbot.addWidget(w)
    w.show()
    w.worker = Worker(practice, tick_seconds=3600)
    w.worker.start()
    w.tray = QSystemTrayIcon(w)  # as when the desktop has a tray
    w.close()
    assert not w.isVisible() and w.worker.scheduler is not None
    assert w.worker.scheduler.running
    w.quit()
    assert w.worker.scheduler is None
