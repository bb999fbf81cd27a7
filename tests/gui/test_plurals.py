"""Counts in the window agree with their number in each language: "1 cancelada",
"2 canceladas", and no "0 sessão" (a zero is said in words or not at all)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app import i18n
from app.services import clients, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.main_window import MainWindow
from tests.conftest import local


def totals_of(qtbot: QtBot, window: MainWindow, client_id: int) -> str:
    file = window.open_client(client_id)
    qtbot.waitUntil(lambda: file.client is not None and file.totals.text() != "",
                    timeout=5000)
    text = file.totals.text()
    file.close()
    return text


def test_the_client_files_counts_agree_with_their_numbers(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    i18n.set_language("pt_BR")
    try:
        ana = clients.add(practice, name="Ana Lima", phone="+55 11 97777-1111").id
        assert totals_of(qtbot, window, ana) == "Nenhuma sessão ainda."
        first = scheduling.book(practice, BookingRequest(
            client_id=ana, start=local("2026-11-23T15:00"), service_id=seeded["therapy"]))
        scheduling.cancel(practice, first, reason="viagem")
        assert totals_of(qtbot, window, ana) == "1 sessão · 1 cancelada"
        second = scheduling.book(practice, BookingRequest(
            client_id=ana, start=local("2026-11-24T15:00"), service_id=seeded["therapy"]))
        scheduling.cancel(practice, second, reason="doença")
        scheduling.book(practice, BookingRequest(
            client_id=ana, start=local("2026-11-25T15:00"), service_id=seeded["therapy"]))
        assert totals_of(qtbot, window, ana) == "3 sessões · 2 canceladas · 1 futura"
    finally:
        i18n.set_language("en")


def test_a_reminders_lead_time_is_said_in_days_hours_or_minutes(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from app.ui.lead_time import LeadTime

    i18n.set_language("pt_BR")
    try:
        lead = LeadTime()
        qtbot.addWidget(lead)
        assert (lead.number.value(), lead.unit.currentText(), lead.value()) == \
            (1, "dia antes", 1440)
        lead.setValue(120)
        assert (lead.number.value(), lead.unit.currentText()) == (2, "horas antes")
        lead.setValue(90)
        assert (lead.number.value(), lead.unit.currentText()) == (90, "minutos antes")
        # As a person does: days, then 3.
        lead.unit.setCurrentIndex(lead.unit.findData(24 * 60))
        lead.number.selectAll()
        qtbot.keyClicks(lead.number, "3")
        assert lead.value() == 3 * 1440 and lead.unit.currentText() == "dias antes"
        assert lead.number.maximum() == 14  # the longest a reminder goes before
    finally:
        i18n.set_language("en")
