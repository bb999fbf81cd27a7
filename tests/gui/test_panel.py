"""A session's panel: cancel with a reason, reschedule by dialog (a conflict shown
live, overriding takes a second click), complete with price, no-show, and the
actions that do not apply disabled with the reason."""

from __future__ import annotations

from PySide6.QtCore import QDate, QPoint, Qt, QTime
from pytestqt.qtbot import QtBot

from app.services import queries, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.appointment_panel import AppointmentPanel
from app.ui.dialogs import CancelDialog, CompleteDialog, RescheduleDialog
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of


def open_panel(qtbot: QtBot, w: MainWindow, appointment_id: int) -> AppointmentPanel:
    panel = w.open_appointment(appointment_id)
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    return panel


def test_cancel_needs_a_reason_and_keeps_the_session(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice,
                                                     seeded: dict[str, int]) -> None:
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("CANCEL")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CancelDialog)
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.reason, "Cliente com febre")
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.waive, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, dialog.waive.height() // 2))  # on its round indicator
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "cancelled", timeout=3000)
    view = queries.show(practice, seeded["monday"])
    assert (view.cancellation_reason, view.charge_decision) == ("Cliente com febre", "waive")
    qtbot.waitUntil(lambda: panel.status_button.text().startswith("Cancelled"), timeout=3000)
    assert "Cliente com febre" in panel.history.item(0).text()
    for button in panel.buttons.values():
        assert not button.isEnabled()
        assert "is cancelled" in button.toolTip()


def panel_action(name: str):  # type: ignore[no-untyped-def]
    from app.models.transitions import Action

    return Action[name]


def test_reschedule_dialog_shows_conflicts_and_suggests_times(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    blocker = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-24T15:00"), service_id=seeded["therapy"]))
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("RESCHEDULE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    dialog.date.setDate(QDate(2026, 11, 24))
    dialog.time.setTime(QTime(15, 30))
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    assert f"session #{blocker}" in dialog.status.text()
    times = [dialog.suggestions.item(i).text() for i in range(dialog.suggestions.count())]
    assert "3:00 PM".replace(" ", "\u202f") not in times and "8:00\u202fAM" in times
    # First click only warns; the session is untouched.
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.ok.text() == "Reschedule anyway"
    assert status_of(practice, seeded["monday"]) == "scheduled"
    # Picking a suggested free time clears the conflict.
    item = next(dialog.suggestions.item(i) for i in range(dialog.suggestions.count())
                if dialog.suggestions.item(i).text() == "4:30\u202fPM")
    rect = dialog.suggestions.visualItemRect(item)
    qtbot.mouseClick(dialog.suggestions.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    qtbot.waitUntil(lambda: "free" in dialog.status.text(), timeout=3000)
    assert dialog.ok.text() == "Reschedule"
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "rescheduled", timeout=3000)
    new = queries.show(practice, seeded["monday"]).rescheduled_to
    assert new is not None and queries.show(practice, new).start == local("2026-11-24T16:30")


def test_reschedule_over_a_conflict_takes_a_second_click(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-24T15:00"), service_id=seeded["therapy"]))
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("RESCHEDULE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    dialog.date.setDate(QDate(2026, 11, 24))
    dialog.time.setTime(QTime(15, 30))
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "rescheduled", timeout=3000)
    new = queries.show(practice, seeded["monday"]).rescheduled_to
    created = queries.show(practice, new).history[0]
    assert created.changes["override"][0]["rule"] == "staff_busy"


def test_complete_with_price_and_no_show(qtbot: QtBot, window: MainWindow,
                                         practice: Practice, seeded: dict[str, int]) -> None:
    panel = open_panel(qtbot, window, seeded["monday"])
    complete = panel.buttons[panel_action("COMPLETE")]
    assert not complete.isEnabled() and "begun" in complete.toolTip()
    panel.close()
    practice.clock.set(local("2026-11-23T12:00"))  # type: ignore[attr-defined]
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[panel_action("COMPLETE")], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, CompleteDialog)
    qtbot.keyClicks(dialog.price, "abc")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert "not an amount" in dialog.error.text()
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "180,00")
    dialog.notes.setPlainText("Boa evolução")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "completed", timeout=3000)
    view = queries.show(practice, seeded["monday"])
    assert (view.actual_price_cents, view.internal_notes) == (18000, "Boa evolução")

    other = open_panel(qtbot, window, seeded["today"])
    practice.clock.set(local("2026-11-23T12:00"))  # type: ignore[attr-defined]
    other.reload()
    qtbot.waitUntil(lambda: other.buttons[panel_action("NO_SHOW")].isEnabled(), timeout=3000)
    qtbot.mouseClick(other.buttons[panel_action("NO_SHOW")], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(practice, seeded["today"]) == "no_show", timeout=3000)
