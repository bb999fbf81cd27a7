"""Agenda › Exportar and Configurações › Cópias de segurança, driven as a person
does: choose a period, statuses and a format, save the file; make a copy, change
something, restore the copy after a warning, and see the agenda as it was."""

from __future__ import annotations

from pathlib import Path

import icalendar
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QDateEdit, QMessageBox, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from app.models.enums import AppointmentStatus
from app.services import backups, catalog, queries, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui import file_chooser
from app.ui.backups_tab import BackupsTab
from app.ui.export_dialog import ExportDialog
from app.ui.main_window import MainWindow
from tests.conftest import local


def click(qtbot: QtBot, widget: QWidget) -> None:
    """A click where a person aims: a check or radio box on its box, not on the
    empty stretch of its row; anything else in its middle."""
    if isinstance(widget, QCheckBox | QRadioButton):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton,
                         pos=QPoint(8, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_date(qtbot: QtBot, edit: QDateEdit, text: str) -> None:
    """As typed into a date field: into each part (month, day, year) in turn."""
    edit.setFocus()
    for index, part in enumerate(text.split("/")):
        edit.setSelectedSection(edit.sectionAt(index))  # a double-click on it
        qtbot.keyClicks(edit, part)
    assert edit.text() == text


def open_export(window: MainWindow, qtbot: QtBot) -> ExportDialog:
    window.show_page("agenda")
    click(qtbot, window.agenda.export_button)
    dialog = next(w for w in window.findChildren(ExportDialog) if w.isVisible())
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=5000)
    return dialog


def test_export_the_period_on_screen_with_filters(window: MainWindow, qtbot: QtBot,
                                                  seeded: dict[str, int], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = open_export(window, qtbot)
    # The week on screen (16–22 Nov) holds today's confirmed session only.
    assert dialog.start.text() == "11/16/2026" and dialog.end.text() == "11/22/2026"
    assert dialog.summary.text() == "1 session in this period."

    type_date(qtbot, dialog.end, "11/30/2026")
    qtbot.waitUntil(lambda: dialog.summary.text() == "2 sessions in this period.", timeout=5000)
    click(qtbot, dialog.status_boxes[AppointmentStatus.CONFIRMED])
    qtbot.waitUntil(lambda: dialog.summary.text() == "1 session in this period.", timeout=5000)
    for box in dialog.status_boxes.values():
        if box.isChecked():
            click(qtbot, box)
    assert dialog.summary.text() == "Tick at least one status."
    assert not dialog.export_button.isEnabled()
    click(qtbot, dialog.status_boxes[AppointmentStatus.CONFIRMED])
    click(qtbot, dialog.status_boxes[AppointmentStatus.SCHEDULED])
    qtbot.waitUntil(lambda: dialog.count == 2, timeout=5000)

    type_date(qtbot, dialog.start, "12/01/2026")  # after the end
    assert dialog.summary.text() == "The end date comes before the start date."
    assert not dialog.export_button.isEnabled()
    type_date(qtbot, dialog.start, "11/01/2026")
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=5000)

    click(qtbot, dialog.format_buttons[dialog.chosen_format().ICS])
    chosen = tmp_path / "agenda"  # no extension typed: the format's is added
    monkeypatch.setattr(file_chooser, "save_path",
                        lambda *a, **k: (str(chosen), ""))
    click(qtbot, dialog.export_button)
    target = tmp_path / "agenda.ics"
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    uids = sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))
    assert uids == sorted(f"appointment-{seeded[k]}@practice-desk" for k in ("today", "monday"))
    assert window.statusBar().currentMessage() == f"2 sessions exported to {target}."


def test_export_opens_from_the_agenda_menu_for_the_professional_on_screen(
        window: MainWindow, qtbot: QtBot, practice: Practice) -> None:
    bruno = catalog.add_staff(practice, name="Dr. Bruno Lima").id
    combo = window.agenda.staff_combo
    qtbot.waitUntil(lambda: combo.findData(bruno) >= 0, timeout=5000)
    combo.setCurrentIndex(combo.findData(bruno))
    window.show_page("dashboard")
    window.export_action.trigger()
    assert window.stack.currentWidget() is window.agenda
    dialog = next(w for w in window.findChildren(ExportDialog) if w.isVisible())
    assert dialog.staff.currentText() == "Dr. Bruno Lima"
    qtbot.waitUntil(lambda: dialog.count == 0, timeout=5000)  # his week is empty
    assert dialog.summary.text() == "No session in this period matches."
    assert not dialog.export_button.isEnabled()


def open_backups(window: MainWindow, qtbot: QtBot) -> BackupsTab:
    window.show_page("settings")
    page = window.settings_page
    page.tabs.setCurrentWidget(page.backups)
    qtbot.waitUntil(lambda: page.backups.isVisible(), timeout=5000)
    return page.backups


def test_back_up_change_and_restore_after_a_warning(window: MainWindow, qtbot: QtBot,
                                                    practice: Practice, seeded: dict[str, int],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tab = open_backups(window, qtbot)
    qtbot.waitUntil(lambda: tab.empty.isVisible(), timeout=5000)
    click(qtbot, tab.now_button)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=5000)
    assert tab.table.item(0, 1).text() == "Made by hand"
    assert "2 sessions, 2 clients" in tab.status.text()

    # Something happens after the copy: a new session this afternoon.
    later = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T16:00"), service_id=seeded["therapy"]))
    window.show_page("agenda")
    qtbot.waitUntil(lambda: len(window.agenda.grid.sessions()) == 2, timeout=5000)

    tab = open_backups(window, qtbot)
    table = tab.table
    rect = table.visualRect(table.model().index(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.restore_button.isEnabled()
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def warning(_parent: object, _title: str, text: str, *a: object) -> object:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    click(qtbot, tab.restore_button)
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=5000)
    window.tasks.wait()
    assert "(2 sessions, 2 clients)" in asked[0]
    assert queries.show(practice, later).status is AppointmentStatus.SCHEDULED  # unchanged

    click(qtbot, tab.restore_button)
    qtbot.waitUntil(lambda: "Restored: 2 sessions" in tab.status.text(),
                    timeout=10000)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=5000)
    kinds = {tab.table.item(r, 1).text()
             for r in range(tab.table.rowCount())}
    assert kinds == {"Made by hand", "Before a restore"}
    assert len(queries.list_appointments(practice)) == 2  # the afternoon session is gone
    window.show_page("agenda")
    qtbot.waitUntil(lambda: len(window.agenda.grid.sessions()) == 1, timeout=5000)


def test_a_broken_file_is_refused_and_a_copy_can_go_elsewhere(
        window: MainWindow, qtbot: QtBot, practice: Practice, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    tab = open_backups(window, qtbot)
    broken = tmp_path / "notes.sqlite3"
    broken.write_text("not a database")
    monkeypatch.setattr(file_chooser, "open_path",
                        lambda *a, **k: str(broken))
    asked: list[object] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a: asked.append(a)))
    click(qtbot, tab.restore_file_button)
    qtbot.waitUntil(lambda: "is not a Practice Desk database" in tab.status.text(),
                    timeout=5000)
    assert asked == [] and len(queries.list_appointments(practice)) == 2

    usb = tmp_path / "usb" / "copy.sqlite3"
    usb.parent.mkdir()
    monkeypatch.setattr(file_chooser, "save_path",
                        lambda *a, **k: (str(usb), ""))
    click(qtbot, tab.save_button)
    qtbot.waitUntil(lambda: "Copy saved to" in tab.status.text(), timeout=5000)
    assert backups.inspect_file(usb).sessions == 2
    assert tab.table.rowCount() == 0  # not in the data folder
