"""The Painel's "Messages not sent" and "Waiting for your decision" list only what
waits for a person, and name whom and which session: a call whose SMS went in its
place, and a reminder of a session since cancelled, completed or moved, are left
out (failed or unknown, on every channel); each card says the client and the
session's day and time, not when the reminder was due."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlmodel import select

from app import i18n
from app.models.enums import Channel
from app.models.outbox import DeliveryAttempt, MessageKind, MessageState, OutboxMessage
from app.services import clients, outbox, reach, reminders, scheduling
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.dashboard_page import DashboardPage, DecisionRow, FailureGroupRow
from app.ui.main_window import MainWindow
from tests.conftest import local


def open_painel(qtbot: QtBot, w: MainWindow) -> DashboardPage:
    w.show_page("dashboard")
    page = w.dashboard
    qtbot.waitUntil(lambda: page.board is not None, timeout=5000)
    return page


def _set(p: Practice, message_id: int, state: MessageState, why: str) -> None:
    """What the dispatcher leaves after a provider's answer (its attempt too)."""
    with p.db.write() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        row.state, row.last_error, row.attempts = state, why, 1
        s.add(DeliveryAttempt(message_id=message_id, at=p.clock.now(), outcome=state.value,
                              code="30003", detail=why))


def _state(p: Practice, message_id: int) -> str:
    with p.db.read() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        return row.state.value


def _sms_failed(p: Practice) -> int:
    [sms] = [r for r in reach.overview(p) if r.channel == "sms"]
    return sum(f.count for f in sms.failed)


def _rows(page: DashboardPage) -> list[DecisionRow]:
    return [r for r in page.failures_card.rows if isinstance(r, DecisionRow)]


def test_only_what_waits_for_a_person_is_listed_and_each_names_whom_and_when(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    maria, joao, therapy = seeded["maria"], seeded["joao"], seeded["therapy"]
    clients.update(practice, maria, grant=[Channel.SMS, Channel.VOICE])
    clients.update(practice, joao, grant=[Channel.SMS])
    # A call that went unanswered twice, and the SMS that went in its place.
    call = reminders.add(practice, seeded["monday"], Channel.VOICE, 1440).id
    _set(practice, call, MessageState.FAILED,
         "The client did not answer two calls (nobody answered the last time).")
    with practice.db.write() as s:
        row = s.get(OutboxMessage, call)
        assert row is not None
        s.add(OutboxMessage(idempotency_key=f"{row.idempotency_key}:fallback",
                            kind=MessageKind.REMINDER, appointment_id=row.appointment_id,
                            channel="sms", minutes_before=1440, recipient="+5511987654321",
                            due_at=practice.clock.now(), state=MessageState.SENT,
                            created_at=practice.clock.now(), updated_at=practice.clock.now(),
                            fallback_of=call))
    # João's SMS failed: his session is still due, so it waits for a decision.
    friday = scheduling.book(practice, BookingRequest(
        client_id=joao, start=local("2026-11-27T15:00"), service_id=therapy))
    failed = reminders.add(practice, friday, Channel.SMS, 1440).id
    _set(practice, failed, MessageState.FAILED, "Twilio: the number is unreachable.")
    # Failed and unknown reminders of a session cancelled since.
    gone = scheduling.book(practice, BookingRequest(
        client_id=maria, start=local("2026-11-25T10:00"), service_id=therapy))
    stale = reminders.add(practice, gone, Channel.SMS, 1440).id
    lost = reminders.add(practice, gone, Channel.VOICE, 600).id
    _set(practice, stale, MessageState.FAILED, "Twilio: the number is unreachable.")
    _set(practice, lost, MessageState.UNKNOWN, "No answer from Twilio.")
    scheduling.cancel(practice, gone, reason="viagem")

    page = open_painel(qtbot, window)
    [row] = _rows(page)
    assert row.message.id == failed
    title = row.title.text()
    when = i18n.format_datetime(local("2026-11-27T15:00"))
    assert "João Alves" in title and when in title, title
    assert i18n.format_datetime(local("2026-11-26T15:00")) not in title  # not the due time
    assert page.board is not None and page.board.decisions == []  # the unknown one too
    assert not any(isinstance(r, DecisionRow) for r in page.decisions_card.rows)
    # Integrações' overview counts what the Painel lists, as it sends the reader there.
    assert _sms_failed(practice) == 1

    # Pressed: sent again. Then the session is moved: nothing is left to decide.
    qtbot.mouseClick(row.buttons["retry"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _state(practice, failed) == "pending", timeout=5000)
    qtbot.waitUntil(lambda: not page.failures_card.isVisible(), timeout=5000)
    _set(practice, failed, MessageState.FAILED, "Twilio: the number is unreachable.")
    window.dashboard.reload()
    qtbot.waitUntil(lambda: len(_rows(page)) == 1, timeout=5000)
    scheduling.reschedule(practice, friday, local("2026-11-27T17:00"))
    qtbot.waitUntil(lambda: not page.failures_card.isVisible(), timeout=5000)
    assert _sms_failed(practice) == 0
    # A Painel read before the move cannot send it again either: it says why.
    with pytest.raises(InvalidInput, match="is rescheduled"):
        outbox.retry_failed(practice, failed)
    assert _state(practice, failed) == "failed"
    # Nor a call whose SMS went instead.
    with pytest.raises(InvalidInput, match="A reminder by SMS went in its place"):
        outbox.retry_failed(practice, call)


def test_a_group_names_its_clients_and_sessions(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    maria, joao, therapy = seeded["maria"], seeded["joao"], seeded["therapy"]
    clients.update(practice, maria, grant=[Channel.SMS])
    clients.update(practice, joao, grant=[Channel.SMS])
    friday = scheduling.book(practice, BookingRequest(
        client_id=joao, start=local("2026-11-27T15:00"), service_id=therapy))
    for session in (seeded["monday"], friday):
        _set(practice, reminders.add(practice, session, Channel.SMS, 1440).id,
             MessageState.FAILED, "Twilio: the number is unreachable.")
    page = open_painel(qtbot, window)
    [group] = [r for r in page.failures_card.rows if isinstance(r, FailureGroupRow)]
    assert group.title.text() == "2 SMS not sent"
    named = group.sessions.text().split("\n")
    assert named == [f"João Alves · {i18n.format_datetime(local('2026-11-27T15:00'))}",
                     f"Maria Silva · {i18n.format_datetime(local('2026-11-23T10:00'))}"]
    # Monday's session is cancelled: only João's is left, alone.
    scheduling.cancel(practice, seeded["monday"], reason="doente")
    qtbot.waitUntil(lambda: len(_rows(page)) == 1, timeout=5000)
    assert "João Alves" in _rows(page)[0].title.text()
    # "Try again" there reaches João's only: Maria's stays failed, closed by the cancel.
    qtbot.mouseClick(_rows(page)[0].buttons["retry"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.failures_card.isVisible(), timeout=5000)
    with practice.db.read() as s:
        asked = s.exec(select(OutboxMessage.appointment_id).join(
            DeliveryAttempt, DeliveryAttempt.message_id == OutboxMessage.id).where(
            DeliveryAttempt.outcome == "retry_requested")).all()
    assert asked == [friday]
