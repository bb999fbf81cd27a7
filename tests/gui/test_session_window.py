"""The session window as the user walked it: a confirmation taken back from the
status menu, every disabled action saying why (whatever the status), the
Lembretes tab refusing a twin reminder and keeping its selection and warning
true, and links between sessions that do not pile windows up."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.models.enums import Channel
from app.models.transitions import Action
from app.services import clients, queries, reminders, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.appointment_panel import AppointmentPanel
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of


def open_panel(qtbot: QtBot, w: MainWindow, appointment_id: int) -> AppointmentPanel:
    panel = w.open_appointment(appointment_id)
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.id == appointment_id,
                    timeout=3000)
    return panel


def menu_entries(panel: AppointmentPanel) -> list[str]:
    return [a.text() for a in panel.status_button.menu().actions() if a.isVisible()]


def test_a_confirmation_goes_back_to_scheduled_from_the_status_menu(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    panel = open_panel(qtbot, window, seeded["monday"])
    assert menu_entries(panel) == ["Confirm appointment"]
    panel.confirm_action.trigger()
    qtbot.waitUntil(lambda: panel.status_button.text().startswith("✓ Confirmed"), timeout=3000)
    assert menu_entries(panel) == ["Undo confirmation"]
    assert panel.unconfirm_action.isEnabled()
    assert "history keeps both" in panel.unconfirm_action.toolTip()
    assert panel.status_button.menu().toolTipsVisible()
    panel.unconfirm_action.trigger()
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "scheduled", timeout=3000)
    qtbot.waitUntil(lambda: panel.status_button.text().startswith("Scheduled"), timeout=3000)
    assert "undid the confirmation" in panel.history.item(0).text()
    assert menu_entries(panel) == ["Confirm appointment"]


def test_every_disabled_action_says_why_whatever_the_status(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    book = lambda start: scheduling.book(practice, BookingRequest(  # noqa: E731
        client_id=seeded["joao"], start=local(start), service_id=seeded["therapy"]))
    cancelled, moved, done, missed = (book(s) for s in (
        "2026-11-24T09:00", "2026-11-25T09:00", "2026-11-20T16:00", "2026-11-20T17:00"))
    scheduling.cancel(practice, cancelled, reason="Viagem")
    moved_to = scheduling.reschedule(practice, moved, local("2026-11-26T09:00"))[moved]
    practice.clock.set(local("2026-11-20T18:00"))  # type: ignore[attr-defined]
    scheduling.complete(practice, done)
    scheduling.no_show(practice, missed)
    notes = {cancelled: "was cancelled", moved: f"moved to session #{moved_to}",
             done: "outcome is recorded", missed: "outcome is recorded",
             seeded["monday"]: None, seeded["today"]: None}
    for appointment_id, note in notes.items():
        panel = open_panel(qtbot, window, appointment_id)
        off = [b for b in panel.buttons.values() if not b.isEnabled()]
        assert off or note is None, appointment_id
        for button in off:
            assert button.toolTip(), (appointment_id, button.text())
        for action in (panel.confirm_action, panel.unconfirm_action):
            if action.isVisible() and not action.isEnabled():
                assert action.toolTip(), (appointment_id, action.text())
        menu = panel.status_button.menu()
        if menu is not None:  # a status nothing can change from is shown, not offered
            assert menu.toolTipsVisible()
        else:
            assert panel.status_button.toolTip()
        if not panel.remove_reminder_button.isEnabled():
            assert panel.remove_reminder_button.toolTip()
        if note is None:
            assert not panel.state_note.isVisible()
        else:
            # Said where it is read, not only on hover.
            assert panel.state_note.isVisible() and note in panel.state_note.text()
            assert note in panel.buttons[Action.RESCHEDULE].toolTip()
        panel.close()


def test_reminders_refuse_a_twin_keep_their_selection_and_their_warning_true(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from app.services import config

    config.set_value(practice, "smtp.host", "127.0.0.1")  # e-mail can send: a notice waits
    config.set_value(practice, "smtp.from", "agenda@example.com")
    clients.update(practice, seeded["maria"], grant=[Channel.EMAIL, Channel.WHATSAPP])
    panel = open_panel(qtbot, window, seeded["monday"])
    panel.tabs.setCurrentIndex(2)
    assert not panel.remove_reminder_button.isEnabled()
    assert panel.remove_reminder_button.toolTip() == "Select a reminder to remove it."
    # WhatsApp, a day before (the tab's default): added, with a warning (not set up).
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_notice.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: panel.reminder_table.rowCount() == 1, timeout=3000)
    # The same again is refused, said, and not added.
    qtbot.mouseClick(panel.add_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.error.isVisible(), timeout=3000)
    assert "already has this reminder: WhatsApp, 1 day before" in panel.error.text()
    assert len(reminders.list_for(practice, seeded["monday"])) == 1
    assert panel.reminder_table.rowCount() == 1
    [whatsapp] = reminders.list_for(practice, seeded["monday"])
    # Removing it takes its warning away.
    rect = panel.reminder_table.visualItemRect(panel.reminder_table.item(0, 1))
    qtbot.mouseClick(panel.reminder_table.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert panel.remove_reminder_button.isEnabled()
    qtbot.mouseClick(panel.remove_reminder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.reminder_table.item(0, 2).text() == "Cancelled", timeout=3000)
    assert not panel.reminder_notice.isVisible() and not panel.reminder_fix.isVisible()
    assert not panel.remove_reminder_button.isEnabled()  # a removed one cannot go again
    # Confirming puts a notice first in the list: the selection follows the reminder.
    panel.confirm_action.trigger()
    qtbot.waitUntil(lambda: panel.reminder_table.rowCount() == 2, timeout=3000)
    rows = panel.reminder_table.selectionModel().selectedRows()
    assert [panel.reminder_rows[r.row()].id for r in rows] == [whatsapp.id]
    assert panel.reminder_rows[0].kind == "confirmation"


def link_point(label: QLabel, before: str) -> QPoint:
    """A point on the link of a one-line label, just after `before`."""
    x = label.contentsRect().left() + label.fontMetrics().horizontalAdvance(before) + 6
    return QPoint(x, label.contentsRect().center().y())


def test_following_a_link_replaces_what_the_window_shows(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    old = seeded["monday"]
    new = scheduling.reschedule(practice, old, local("2026-11-24T10:00"))[old]
    panel = open_panel(qtbot, window, old)
    link = panel.fields["link"]
    assert link.text().startswith("Moved to")
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton, pos=link_point(link, "Moved to "))
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.id == new, timeout=3000)
    assert window.panels == {new: panel}
    assert [w for w in window.panels.values() if w.isVisible()] == [panel]
    assert "Tuesday" in panel.subtitle.text()
    # Back again: still one window.
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton, pos=link_point(link, "Moved from "))
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.id == old, timeout=3000)
    assert window.panels == {old: panel}
    # When the other session is already open in its own window, that one comes forward.
    other = open_panel(qtbot, window, new)
    assert other is not panel
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton, pos=link_point(link, "Moved to "))
    assert panel.view is not None and panel.view.id == old
    assert window.panels == {old: panel, new: other}
    # Escape closes a window; no stale one is left behind it.
    other.close()
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert window.panels == {}
    assert queries.show(practice, new).rescheduled_from == old


def test_reschedule_opens_on_the_next_free_time_and_refuses_the_same_time(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from PySide6.QtCore import QDate, QTime

    from app.ui.dialogs import RescheduleDialog

    panel = open_panel(qtbot, window, seeded["monday"])  # Monday 23, 10:00
    qtbot.mouseClick(panel.buttons[Action.RESCHEDULE], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    assert not dialog.ok.isEnabled()  # nothing to book before a time is proposed
    # The session's own time (and its buffer) is no choice: the next free one is offered.
    qtbot.waitUntil(lambda: "free" in dialog.status.text(), timeout=3000)
    assert (dialog.date.date(), dialog.time.time()) == (QDate(2026, 11, 23), QTime(11, 0))
    assert "now 11/23/26, 10:00" in dialog.intro.text().replace("\u202f", " ")
    assert dialog.ok.isEnabled()
    # Typed back to the current time: said, and the button is not offered.
    dialog.time.setFocus()
    dialog.time.setTime(QTime(10, 0))
    qtbot.waitUntil(lambda: "already at" in dialog.status.text(), timeout=3000)
    assert not dialog.ok.isEnabled() and "choose another" in dialog.ok.toolTip()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    window.tasks.wait()
    assert status_of(practice, seeded["monday"]) == "scheduled"
    dialog.reject()


def test_the_reschedule_dialog_overlaps_nothing_on_a_laptop(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    from PySide6.QtCore import QDate, QTime

    from app.ui.dialogs import RescheduleDialog

    window.resize(1366, 768)
    # Two sessions in the way: a long, two-part warning.
    for who, start in (("joao", "2026-11-24T15:00"), ("maria", "2026-11-24T16:00")):
        scheduling.book(practice, BookingRequest(
            client_id=seeded[who], start=local(start), service_id=seeded["therapy"]))
    panel = open_panel(qtbot, window, seeded["monday"])
    qtbot.mouseClick(panel.buttons[Action.RESCHEDULE], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, RescheduleDialog)
    qtbot.waitUntil(lambda: "free" in dialog.status.text(), timeout=3000)
    dialog.date.setDate(QDate(2026, 11, 24))
    dialog.time.setTime(QTime(15, 30))
    qtbot.waitUntil(lambda: "busy" in dialog.status.text(), timeout=3000)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # the longer "click again" text
    assert "Click again" in dialog.status.text()
    qtbot.wait(50)

    def box(widget: QLabel) -> tuple[int, int]:
        top = widget.mapTo(dialog, QPoint(0, 0)).y()
        return top, top + widget.height()

    status, suggestions, ok = box(dialog.status), box(dialog.suggestions), box(dialog.ok)
    assert dialog.status.height() >= dialog.status.heightForWidth(dialog.status.width())
    assert status[1] <= suggestions[0] and suggestions[1] <= ok[0], (status, suggestions, ok)
    assert dialog.height() <= 768
    dialog.reject()
