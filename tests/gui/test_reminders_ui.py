"""The Lembretes tab (add, remove, states in words) and the Painel's decisions on
messages that failed or whose fate is unknown."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.models.outbox import MessageState, OutboxMessage
from app.services import clients, config, reminders
from app.services.clock import FrozenClock
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
    # E-mail is not set up on this computer: said now, not when it is due.
    assert panel.reminder_table.item(0, 2).text() == "Waiting: will be skipped"
    assert panel.reminder_table.item(0, 4).text().startswith("E-mail is not set up")
    # The reminder's own words are seen where it is listed, and the reason in full.
    assert panel.reminder_table.item(0, 4).text().endswith("\nOwn text: “Traga os exames”")
    table = panel.reminder_table
    assert table.rowHeight(0) >= 2 * table.fontMetrics().height()
    assert table.horizontalHeader().length() <= table.viewport().width() + 1
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
    # The lost message is a decision; the failed one waits apart, with its cause.
    qtbot.waitUntil(lambda: page.board is not None and len(page.board.decisions) == 1 and
                    len(page.board.failures) == 1, timeout=3000)
    rows = {r.message.id: r for r in page.decisions_card.rows if hasattr(r, "message")}
    assert list(rows) == [lost]
    assert page.failures_card.isVisible()
    qtbot.mouseClick(rows[lost].buttons["mark_sent"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reminders.list_for(practice, seeded["monday"]) and
                    _state(practice, seeded["monday"], lost) == "sent", timeout=3000)
    qtbot.waitUntil(lambda: page.board is not None and not page.board.decisions,
                    timeout=3000)
    [row] = page.failures_card.rows
    assert row.reason.text() == "Server refused"
    qtbot.mouseClick(row.buttons["retry"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _state(practice, seeded["monday"], failed) == "pending",
                    timeout=3000)
    qtbot.waitUntil(lambda: not page.failures_card.isVisible(), timeout=3000)


def test_painel_counts_every_message_waiting_beyond_those_it_lists(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services import dashboard

    monkeypatch.setattr(dashboard, "DECISIONS_SHOWN", 1)
    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL])
    ids = [reminders.add(practice, seeded["monday"], Channel.EMAIL, m).id for m in (120, 240)]
    with practice.db.write() as s:
        for message_id in ids:
            row = s.get(OutboxMessage, message_id)
            assert row is not None
            row.state, row.last_error = MessageState.UNKNOWN, "The app stopped"
    window.nav.setCurrentRow(PAGES.index("dashboard"))
    card = window.dashboard.decisions_card
    qtbot.waitUntil(lambda: card.title.text().endswith("(2)"), timeout=3000)
    [shown, note] = card.rows
    assert note.text() == "1 older message also waits: it appears here as these are decided."
    qtbot.mouseClick(shown.buttons["mark_sent"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.title.text().endswith("(1)") and len(card.rows) == 1 and
                    hasattr(card.rows[0], "message"), timeout=3000)
    assert card.rows[0].message.id != shown.message.id


def _state(practice: Practice, appointment_id: int, message_id: int) -> str:
    return next(m.state for m in reminders.list_for(practice, appointment_id)
                if m.id == message_id)


def test_closing_to_the_tray_keeps_sending_and_quit_stops(
        qtbot: QtBot, practice: Practice, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's own worker sends a reminder that falls due while the window is
    closed to the tray; after Quit, one that falls due is not sent."""
    from PySide6.QtWidgets import QSystemTrayIcon

    from app.services import scheduling, settings, worker
    from app.services.scheduling import BookingRequest
    from tests.conftest import add_service, local
    from tests.fakes.smtp import SmtpServer

    monkeypatch.setattr(worker, "TICK_SECONDS", 0.5)
    with SmtpServer() as smtp:
        config.set_values(practice, {
            "smtp.host": "127.0.0.1", "smtp.port": str(smtp.port), "smtp.security": "none",
            "smtp.from": "agenda@bemestar.example", "reminders.default": "email:60"})
        c = clients.add(practice, name="Maria Silva", phone="+55 11 98765-4321",
                        email="maria@example.com",
                        consent=[Channel.EMAIL]).id
        service = add_service(practice)
        for start in ("2026-11-23T10:00", "2026-11-24T10:00"):
            scheduling.book(practice, BookingRequest(client_id=c, start=local(start),
                                                     service_id=service))
        w = MainWindow(practice, settings.get(practice).zone, background_worker=True)
        qtbot.addWidget(w)
        w.show()
        if w.tray is None:  # this test's platform has no tray; a desktop has one
            w.tray = QSystemTrayIcon(w)
        w.close()
        assert not w.isVisible()
        clock.set(local("2026-11-23T09:00"))  # the first reminder falls due
        qtbot.waitUntil(lambda: len(smtp.received) == 1, timeout=5000)
        assert not w.isVisible()
        w.quit()
        assert w.worker.scheduler is None
        clock.set(local("2026-11-24T09:00"))  # the second falls due after Quit
        qtbot.wait(1500)
        assert len(smtp.received) == 1


def test_painel_groups_messages_not_sent_by_cause(qtbot: QtBot, window: MainWindow,
                                                  practice: Practice,
                                                  seeded: dict[str, int]) -> None:
    """E-mails refused for a reason in the settings: the one that met it is a row
    with its cause, the setting that fixes it and its action; the others wait on
    the stopped channel, one item too; fixing it and sending again sends all."""
    from app.services import outbox, scheduling
    from app.services.scheduling import BookingRequest
    from tests.conftest import local
    from tests.fakes.smtp import SmtpServer, settings_for

    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL])
    with SmtpServer() as smtp:
        config.set_values(practice, settings_for(smtp))
        smtp.handler.login_required = True
        ids = [scheduling.book(practice, BookingRequest(
            client_id=seeded["maria"], start=local(f"2026-11-2{d}T10:00"),
            service_id=seeded["therapy"])) for d in (4, 5, 6)]
        for a in ids:
            scheduling.confirm(practice, a)
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.failed, report.held) == (1, 2)
        window.show_page("dashboard")
        card = window.dashboard.failures_card
        qtbot.waitUntil(lambda: card.isVisible() and len(card.rows) == 1, timeout=3000)
        [row] = card.rows
        assert card.title.text() == "Messages not sent  (1)"
        [stopped] = window.dashboard.blocked_card.rows
        assert stopped.title.text() == "E-mail stopped working"  # type: ignore[attr-defined]
        assert row.reason.text().startswith("The e-mail server only sends mail for those who "
                                            "log in")
        assert not row.buttons["retry"].isHidden()
        assert window.dashboard.decisions_card.title.text() == "Waiting for your decision  (0)"
        qtbot.mouseClick(row.buttons["fix"], Qt.MouseButton.LeftButton)
        assert window.stack.currentWidget() is window.settings_page
        assert window.settings_page.tabs.currentWidget() is window.settings_page.integrations
        smtp.handler.login_required = False
        window.show_page("dashboard")
        [row] = card.rows
        qtbot.mouseClick(row.buttons["retry"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not card.isVisible(), timeout=3000)
        assert outbox.Dispatcher(practice).dispatch_due().sent == 3
        assert len(smtp.received) == 3


def test_an_empty_painel_says_how_to_begin(qtbot: QtBot, practice: Practice) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QPushButton

    from app.services import settings as practice_settings
    from app.ui.new_session import NewSessionDialog

    QSettings().setValue("window/page", "dashboard")
    w = MainWindow(practice, practice_settings.get(practice).zone)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    page = w.dashboard
    qtbot.waitUntil(lambda: page.board is not None, timeout=5000)
    texts = [r.text() for c in (page.today_card, page.unconfirmed_card)
             for r in c.rows if hasattr(r, "text")]
    assert texts[0].startswith("No sessions yet. Book the first one")
    assert not any("is confirmed" in t for t in texts)  # nothing to be confirmed about
    assert not page.failures_card.isVisible()
    [book] = [r for r in page.today_card.rows if isinstance(r, QPushButton)]
    assert book.text() == "New session"
    qtbot.mouseClick(book, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(isinstance(d, NewSessionDialog) and d.isVisible()
                                for d in w.findChildren(NewSessionDialog)), timeout=3000)
    for d in w.findChildren(NewSessionDialog):
        d.reject()
    w.tasks.wait()


def test_lembretes_offers_a_call_and_a_phone_notification(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    """Every channel is offered by its name; one that cannot go says why at once."""
    clients.update(practice, seeded["maria"], grant=[Channel.VOICE])
    panel = window.open_appointment(seeded["monday"])
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    panel.tabs.setCurrentIndex(2)
    combo = panel.reminder_channel
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "WhatsApp", "E-mail", "SMS", "Phone call", "Phone notification"]
    combo.setCurrentIndex(combo.findData("voice"))
    panel.reminder_minutes.setValue(120)
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_table.rowCount() == 1, timeout=3000)
    assert panel.reminder_table.item(0, 1).text() == "Phone call"
    assert panel.reminder_table.item(0, 4).text().startswith("Phone calls are not set up")
    assert panel.reminder_notice.text().startswith("Reminder added, but it will be skipped")
    # Maria never turned notifications on: the push reminder is kept, skipped, with why.
    combo.setCurrentIndex(combo.findData("push"))
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_table.rowCount() == 2, timeout=3000)
    pushed = [m for m in reminders.list_for(practice, seeded["monday"]) if m.channel == "push"]
    assert [m.state for m in pushed] == ["skipped"]
    assert panel.reminder_notice.text() == (
        "This reminder will not be sent. Maria Silva has not turned on reminders on their "
        "phone (the link's page offers it).")
