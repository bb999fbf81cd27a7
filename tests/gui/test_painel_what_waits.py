"""The Painel as the professional reads it in the morning: a session the client
asked to cancel is a decision, never a confirmation; charging asks first; what
clients confirmed; past sessions without an outcome; and messages that cannot go,
one item per cause."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.services import clients, config, queries, reminders, scheduling
from app.services import settings as practice_settings
from app.services.clock import FrozenClock
from app.services.errors import IllegalTransition
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.agenda.timegrid import _tooltip
from app.ui.appointment_panel import AppointmentPanel
from app.ui.dashboard_page import BlockedGroupRow, DashboardPage, RequestRow, SessionRow
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of
from tests.outside import asks_to_cancel, confirms


def open_painel(qtbot: QtBot, w: MainWindow) -> DashboardPage:
    w.show_page("dashboard")
    page = w.dashboard
    qtbot.waitUntil(lambda: page.board is not None, timeout=5000)
    return page


def reloaded(qtbot: QtBot, page: DashboardPage, ready: object) -> None:
    qtbot.waitUntil(lambda: page.board is not None and bool(ready()), timeout=5000)  # type: ignore[operator]


def test_a_session_the_client_asked_to_cancel_is_never_offered_for_confirmation(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    soon = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T16:00"), service_id=seeded["therapy"]))
    asks_to_cancel(practice, soon, "Viagem")
    asks_to_cancel(practice, seeded["today"], "")  # confirmed earlier, then asked to cancel
    page = open_painel(qtbot, window)
    reloaded(qtbot, page, lambda: len(page.board.requests) == 2)  # type: ignore[union-attr]
    board = page.board
    assert board is not None and board.unconfirmed == []  # a decision, not a confirmation
    assert not any(isinstance(r, SessionRow) for r in page.unconfirmed_card.rows)
    assert {r.view.id for r in page.decisions_card.rows if isinstance(r, RequestRow)} == \
        {soon, seeded["today"]}
    # Hoje says so on both rows.
    today = {r.view.id: r for r in page.today_card.rows if isinstance(r, SessionRow)}
    assert today[seeded["today"]].status.text() == "Confirmed · cancellation requested"
    assert today[soon].status.text() == "Scheduled · cancellation requested"
    # The service refuses, saying where the decision is made.
    with pytest.raises(IllegalTransition, match="asked to cancel"):
        scheduling.confirm(practice, soon)
    assert scheduling.confirm_many(practice, [soon]) == []
    assert status_of(practice, soon) == "scheduled"
    # The agenda's tooltip and the session window say it too; confirming is disabled.
    view = next(v for v in queries.list_appointments(practice) if v.id == soon)
    assert "cancellation requested" in _tooltip(view)
    panel = window.open_appointment(soon)
    assert isinstance(panel, AppointmentPanel)
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    assert "cancellation requested" in panel.status_button.text()
    assert not panel.confirm_action.isEnabled()
    assert "asked to cancel" in panel.confirm_action.toolTip()
    # Kept by the professional: then it can be confirmed again.
    request = next(r for r in page.decisions_card.rows
                   if isinstance(r, RequestRow) and r.view.id == soon)
    qtbot.mouseClick(request.buttons["keep"], Qt.MouseButton.LeftButton)
    reloaded(qtbot, page, lambda: [v.id for v in page.board.unconfirmed] == [soon])  # type: ignore[union-attr]


def test_charging_says_who_when_and_how_much_before_it_cancels(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    practice_settings.set_value(practice, "cancel_notice", "24h")
    practice_settings.set_value(practice, "cancel_fee", "100,00")
    soon = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T16:00"), service_id=seeded["therapy"]))
    asks_to_cancel(practice, soon, "Viagem")
    page = open_painel(qtbot, window)
    reloaded(qtbot, page, lambda: len(page.board.requests) == 1)  # type: ignore[union-attr]
    row = next(r for r in page.decisions_card.rows if isinstance(r, RequestRow))
    assert row.fee  # late notice: the fee is due
    qtbot.mouseClick(row.buttons["charge"], Qt.MouseButton.LeftButton)
    box = row.question
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(box.isVisible)
    assert "João Alves" in box.text() and row.fee in box.text() and "4:00" in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    go_back = next(b for b in box.buttons() if b.text() == "Go back")
    qtbot.mouseClick(go_back, Qt.MouseButton.LeftButton)
    window.tasks.wait()
    assert status_of(practice, soon) == "scheduled"  # nothing happened
    qtbot.mouseClick(row.buttons["charge"], Qt.MouseButton.LeftButton)
    box = row.question
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    charge = next(b for b in box.buttons() if row.fee in b.text())
    qtbot.mouseClick(charge, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, soon) == "cancelled", timeout=3000)
    assert queries.show(practice, soon).cancellation_fee_cents == 10_000


def test_a_clients_confirmation_appears_in_the_painel_at_once(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    later = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-24T10:00"), service_id=seeded["therapy"]))
    page = open_painel(qtbot, window)
    assert page.board is not None and page.board.confirmations == []  # the professional's own
    assert page.confirmations_card.title.text().endswith("(0)")
    confirms(practice, seeded["monday"])
    assert isinstance(practice.clock, FrozenClock)
    practice.clock.advance(timedelta(minutes=5))
    confirms(practice, later)
    reloaded(qtbot, page, lambda: len(page.board.confirmations) == 2)  # type: ignore[union-attr]
    rows = [r for r in page.confirmations_card.rows if isinstance(r, SessionRow)]
    assert [r.view.id for r in rows] == [later, seeded["monday"]]  # newest first
    assert page.confirmations_card.title.text().endswith("(2)")
    qtbot.mouseClick(rows[0].link, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: later in window.panels and window.panels[later].isVisible(),
                    timeout=3000)
    # A confirmation that no longer stands (cancelled since) is not listed as one.
    scheduling.cancel(practice, later, reason="Mudou de ideia")
    reloaded(qtbot, page, lambda: [v.id for _at, v in page.board.confirmations]  # type: ignore[union-attr]
             == [seeded["monday"]])
    # A day later they are no longer news.
    practice.clock.advance(timedelta(hours=25))
    page.reload()
    reloaded(qtbot, page, lambda: page.board.confirmations == [])  # type: ignore[union-attr]


def test_past_sessions_without_an_outcome_are_closed_from_the_painel(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    morning = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T10:00"), service_id=seeded["therapy"]))
    running = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T15:30"), service_id=seeded["therapy"]))
    assert isinstance(practice.clock, FrozenClock)
    practice.clock.set(local("2026-11-20T15:45"))  # 14:00 is over, 15:30 is still on
    page = open_painel(qtbot, window)
    board = page.board
    assert board is not None
    assert [v.id for v in board.no_outcome] == [seeded["today"], morning]  # newest first
    assert board.no_outcome_total == 2 and running not in [v.id for v in board.no_outcome]
    assert page.no_outcome_card.title.text().endswith("(2)")
    rows = {r.view.id: r for r in page.no_outcome_card.rows if isinstance(r, SessionRow)}
    qtbot.mouseClick(rows[seeded["today"]].buttons["complete"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["today"]) == "completed", timeout=3000)
    reloaded(qtbot, page, lambda: page.board.no_outcome_total == 1)  # type: ignore[union-attr]
    rows = {r.view.id: r for r in page.no_outcome_card.rows if isinstance(r, SessionRow)}
    qtbot.mouseClick(rows[morning].buttons["no_show"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, morning) == "no_show", timeout=3000)
    reloaded(qtbot, page, lambda: page.board.no_outcome_total == 0)  # type: ignore[union-attr]


def test_messages_that_cannot_go_are_one_item_per_cause_with_the_fix(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        monkeypatch: pytest.MonkeyPatch) -> None:
    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL, Channel.WHATSAPP])
    for minutes in (60, 120, 180):  # e-mail is not set up: three reminders wait on it
        reminders.add(practice, seeded["monday"], Channel.EMAIL, minutes)
    reminders.add(practice, seeded["monday"], Channel.WHATSAPP, 60)
    page = open_painel(qtbot, window)
    board = page.board
    assert board is not None
    assert [(g.channel, g.count, g.fix) for g in board.blocked] == [
        ("email", 3, "integrations"), ("whatsapp", 1, "integrations")]
    rows = [r for r in page.blocked_card.rows if isinstance(r, BlockedGroupRow)]
    assert [r.title.text() for r in rows] == ["3 e-mails waiting", "1 WhatsApp message waiting"]
    assert "E-mail is not set up" in rows[0].reason.text()
    assert page.blocked_card.isVisible()
    qtbot.mouseClick(rows[0].buttons["fix"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.settings_page, timeout=3000)
    # E-mail set up, but no keyring can be read: one cause, counted, said as it is.
    config.set_value(practice, "smtp.host", "smtp.example.com")
    config.set_value(practice, "smtp.from", "agenda@example.com")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    page = open_painel(qtbot, window)
    page.reload()
    reloaded(qtbot, page, lambda: [g.cause for g in page.board.blocked] == [  # type: ignore[union-attr]
        "keyring", "keyring"])
    board = page.board
    assert board is not None
    assert [(g.channel, g.count) for g in board.blocked] == [("email", 3), ("whatsapp", 1)]
    assert "No system keyring" in board.blocked[0].reason


def test_confirming_says_when_the_confirmation_email_will_not_go(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    clients.update(practice, seeded["joao"], email="joao@example.com",
                   grant=[Channel.EMAIL])
    soon = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T16:00"), service_id=seeded["therapy"]))
    page = open_painel(qtbot, window)
    reloaded(qtbot, page, lambda: len(page.board.unconfirmed) == 1)  # type: ignore[union-attr]
    row = page.unconfirmed_card.rows[0]
    assert isinstance(row, SessionRow) and row.button is not None
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, soon) == "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(
        "Session confirmed. The confirmation e-mail will not be sent: E-mail is not set up"),
        timeout=3000)


def test_a_channel_that_stopped_working_is_one_item(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int],
        clock: FrozenClock) -> None:
    from app.services import outbox, secrets
    from tests.fakes.whatsapp import FakeWhatsApp

    clients.update(practice, seeded["maria"], grant=[Channel.WHATSAPP])
    with FakeWhatsApp() as wa:
        config.set_values(practice, {"whatsapp.api_base": wa.url,
                                     "whatsapp.phone_number_id": wa.rules.phone_number_id,
                                     "whatsapp.template": "lembrete_sessao"})
        secrets.store("whatsapp.token", "EAAG-expired")
        # Three sessions' reminders, all due (one per session: several of one session
        # due together would be one).
        monday = queries.show(practice, seeded["monday"])
        sessions = [seeded["monday"], *(scheduling.book(practice, BookingRequest(
            client_id=seeded["maria"], start=monday.start + timedelta(hours=hours),
            service_id=seeded["therapy"])) for hours in (1, 2))]
        for hours, session in enumerate(sessions, start=1):
            reminders.add(practice, session, Channel.WHATSAPP, 60 * hours)
        clock.set(monday.start - timedelta(minutes=30))
        report = outbox.Dispatcher(practice).dispatch_due()
        assert (report.failed, report.held) == (1, 2) and wa.refused == [190]
    page = open_painel(qtbot, window)
    rows = [r for r in page.blocked_card.rows if isinstance(r, BlockedGroupRow)]
    assert [r.title.text() for r in rows] == ["WhatsApp stopped working"]
    assert "access token" in rows[0].reason.text()
    assert "the 2 messages waiting go out, each at its time" in rows[0].reason.text()
    qtbot.mouseClick(rows[0].buttons["fix"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.settings_page.tabs.currentWidget()
                    is window.settings_page.integrations, timeout=3000)


def test_a_cancellation_asked_on_a_calls_keypad_says_so(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from app.models.tables import Appointment
    from app.services import client_answers

    with practice.db.write() as s:
        a = s.get(Appointment, seeded["monday"])
        assert a is not None
        client_answers.apply(s, practice, a, client_answers.CANCEL_REQUESTED, via="phone")
    page = open_painel(qtbot, window)
    [row] = [r for r in page.decisions_card.rows
             if isinstance(r, RequestRow) and r.view.id == seeded["monday"]]
    assert row.reason.text() == ("No reason given. Asked by phone, on a reminder call's "
                                 "keypad.")
