"""The Agenda Geral driven by mouse and keyboard, checked on screen and in the database."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.models.enums import AppointmentStatus as S
from app.services import queries, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from app.ui.main_window import MainWindow
from tests.conftest import local
from tests.gui.conftest import status_of


def shown(w: MainWindow) -> list[tuple[str, str]]:
    return sorted((v.client_name, v.status.value) for v in w.agenda.grid.sessions())


def centre(w: MainWindow, appointment_id: int) -> QPoint:
    rect = w.agenda.grid.block_rect(appointment_id)
    assert rect is not None, "the session is not drawn"
    return rect.center().toPoint()


def test_the_week_is_drawn_and_navigated(qtbot: QtBot, window: MainWindow) -> None:
    w = window
    assert [w.nav.item(i).text() for i in range(w.nav.count())] == [
        "Dashboard", "Agenda", "Sessions", "Clients", "Conecta", "Settings"]
    assert shown(w) == [("Maria Silva", "confirmed")]
    assert w.agenda.period.text() == "Nov 16\u2009–\u200922, 2026"
    qtbot.mouseClick(w.agenda.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(w) == [("Maria Silva", "scheduled")], timeout=3000)
    assert w.agenda.period.text() == "Nov 23\u2009–\u200929, 2026"
    QTest.keySequence(w, "Ctrl+T")
    qtbot.waitUntil(lambda: w.agenda.period.text().startswith("Nov 16"), timeout=3000)
    QTest.keySequence(w, "Ctrl+Right")
    qtbot.waitUntil(lambda: w.agenda.period.text().startswith("Nov 23"), timeout=3000)


def test_views_switch_by_button_and_shortcut(qtbot: QtBot, window: MainWindow) -> None:
    w = window
    QTest.keySequence(w, "Alt+1")
    qtbot.waitUntil(lambda: w.agenda.period.text() == "Friday, November 20, 2026", timeout=3000)
    assert len(w.agenda.grid.days) == 1
    qtbot.mouseClick(w.agenda.view_buttons["workweek"], Qt.MouseButton.LeftButton)
    assert len(w.agenda.grid.days) == 5
    QTest.keySequence(w, "Alt+4")
    qtbot.waitUntil(lambda: w.agenda.stack.currentWidget() is w.agenda.month, timeout=3000)
    qtbot.waitUntil(lambda: len(w.agenda.month.by_day) == 2, timeout=3000)
    assert w.agenda.period.text() == "November 2026"
    assert QSettings().value("agenda/view") == "month"


def test_clicking_a_block_opens_its_panel_and_confirms(qtbot: QtBot, window: MainWindow,
                                                       practice: Practice,
                                                       seeded: dict[str, int]) -> None:
    w = window
    qtbot.mouseClick(w.agenda.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(w) == [("Maria Silva", "scheduled")], timeout=3000)
    qtbot.mouseClick(w.agenda.grid, Qt.MouseButton.LeftButton,
                     pos=centre(w, seeded["monday"]))
    panel = w.panels[seeded["monday"]]
    qtbot.waitUntil(lambda: panel.view is not None, timeout=3000)
    assert panel.status_button.text().startswith("Scheduled")
    menu_texts = [a.text() for a in panel.status_button.menu().actions() if a.isVisible()]
    assert menu_texts == ["Confirm appointment"]
    assert panel.fields["price"].text() == "R$200.00"
    assert panel.fields["source"].text() == "Booked by hand"
    panel.confirm_action.trigger()
    qtbot.waitUntil(lambda: status_of(practice, seeded["monday"]) == "confirmed", timeout=3000)
    qtbot.waitUntil(lambda: shown(w) == [("Maria Silva", "confirmed")], timeout=3000)
    qtbot.waitUntil(lambda: panel.status_button.text().startswith("✓ Confirmed"), timeout=3000)
    assert not panel.confirm_action.isEnabled()
    assert "cannot be confirmed" in panel.confirm_action.toolTip()


def drag(qtbot: QtBot, w: MainWindow, source: int, day_index: int, hour: float) -> None:
    """A person's drag of a session's block to a day of the shown week and an hour,
    held where it was grabbed."""
    grid = w.agenda.grid
    start = centre(w, source)
    grab = start.y() - grid.block_rect(source).top()
    x = int(grid.day_left(day_index) + grid.day_width() / 2)
    y = int((hour - grid.first_hour) * grid.hour_height + grab)
    qtbot.mousePress(grid, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(grid, start + (QPoint(x, y) - start) * step / 5)
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=QPoint(x, y))


def shown_views(w: MainWindow) -> list:  # type: ignore[type-arg]
    return list(w.agenda.grid.sessions())


def test_drag_reschedules_with_the_same_checks(qtbot: QtBot, window: MainWindow,
                                               practice: Practice,
                                               seeded: dict[str, int]) -> None:
    w = window
    w.set_user("Dra. Beatriz Lima")  # said after the window opened: the drag is hers
    scheduling.book(practice, BookingRequest(client_id=seeded["joao"],
                                             start=local("2026-11-24T16:00"),
                                             service_id=seeded["therapy"]))
    qtbot.mouseClick(w.agenda.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(shown(w)) == 2, timeout=3000)
    grid, source = w.agenda.grid, seeded["monday"]

    def drag_to(day_index: int, hour: float, answer: bool = True) -> None:
        drag(qtbot, w, source, day_index, hour)
        if answer:
            qtbot.waitUntil(lambda: w.agenda.move_question is not None, timeout=3000)
            qtbot.keyClick(w.agenda.move_question, Qt.Key.Key_Return)

    # Onto Tuesday 16:30, into João's session: refused at once, never asked about.
    drag_to(1, 16.5, answer=False)
    qtbot.waitUntil(lambda: w.agenda.notice.isVisible(), timeout=3000)
    assert w.agenda.move_question is None
    assert "busy" in w.agenda.notice.text() and "João Alves" in w.agenda.notice.text()
    assert status_of(practice, source) == "scheduled"
    # The refusal is about the agenda as it was: a change makes it go.
    scheduling.cancel(practice, next(v.id for v in shown_views(w) if v.client_name ==
                                     "João Alves"), reason="Desmarcou")
    qtbot.waitUntil(lambda: not w.agenda.notice.isVisible(), timeout=3000)

    # Onto Wednesday 15:00, a free hour: moved, the original kept as rescheduled.
    drag_to(2, 15)
    qtbot.waitUntil(lambda: status_of(practice, source) == "rescheduled", timeout=3000)
    new = queries.show(practice, source).rescheduled_to
    assert new is not None
    assert queries.show(practice, new).start == local("2026-11-25T15:00")
    assert queries.show(practice, source).history[-1].actor == "Dra. Beatriz Lima"
    qtbot.waitUntil(lambda: grid.block_rect(new) is not None, timeout=3000)


def test_a_drag_asks_before_moving_and_escape_leaves_it(qtbot: QtBot, window: MainWindow,
                                                        practice: Practice,
                                                        seeded: dict[str, int]) -> None:
    w = window
    qtbot.mouseClick(w.agenda.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(shown(w)) == 1, timeout=3000)
    grid, source = w.agenda.grid, seeded["monday"]  # Monday 23, 10:00
    before = grid.block_rect(source)

    def drag_to(day_index: int, hour: float) -> None:
        drag(qtbot, w, source, day_index, hour)
        qtbot.waitUntil(lambda: w.agenda.move_question is not None, timeout=3000)

    # An accidental drag to 16:00: the question says who, from when and to when.
    drag_to(0, 16)
    question = w.agenda.move_question
    assert question is not None
    text = question.text().replace("\u202f", " ")
    assert text == "Move Maria Silva's session from 11/23/26, 10:00 AM to 11/23/26, 4:00 PM?"
    qtbot.keyClick(question, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.agenda.move_question is None, timeout=3000)
    w.tasks.wait()
    assert status_of(practice, source) == "scheduled"
    assert grid.block_rect(source) == before  # where it was
    # Meant this time: Enter moves it.
    drag_to(0, 16)
    qtbot.keyClick(w.agenda.move_question, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: status_of(practice, source) == "rescheduled", timeout=3000)
    new = queries.show(practice, source).rescheduled_to
    assert new is not None and queries.show(practice, new).start == local("2026-11-23T16:00")


def test_double_click_on_an_empty_hour_starts_a_booking(qtbot: QtBot,
                                                        window: MainWindow) -> None:
    w = window
    grid = w.agenda.grid
    pos = QPoint(int(grid.day_left(0) + 20), int((9 - grid.first_hour) * grid.hour_height + 5))
    qtbot.mouseDClick(grid, Qt.MouseButton.LeftButton, pos=pos)
    dialog = w.new_session_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.form().start == local("2026-11-16T09:00")
    dialog.reject()
    # Low in the 11:00–11:30 cell: that cell, not the half hour after it.
    low = QPoint(int(grid.day_left(0) + 20),
                 int((11.45 - grid.first_hour) * grid.hour_height))
    qtbot.mouseDClick(grid, Qt.MouseButton.LeftButton, pos=low)
    dialog = w.new_session_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.form().start == local("2026-11-16T11:00")


def test_professional_filter_and_faded_sessions(qtbot: QtBot, window: MainWindow,
                                                practice: Practice,
                                                seeded: dict[str, int]) -> None:
    w = window
    from app.services import catalog

    paulo = catalog.add_staff(practice, name="Dr. Paulo").id
    qtbot.waitUntil(lambda: w.agenda.staff_combo.count() == 3, timeout=3000)
    moved = scheduling.book(practice, BookingRequest(
        client_id=seeded["joao"], start=local("2026-11-20T16:00"), service_id=seeded["therapy"],
        staff_id=paulo))
    qtbot.waitUntil(lambda: len(shown(w)) == 2, timeout=3000)
    w.agenda.staff_combo.setCurrentIndex(w.agenda.staff_combo.findData(paulo))
    qtbot.waitUntil(lambda: shown(w) == [("João Alves", "scheduled")], timeout=3000)
    w.agenda.staff_combo.setCurrentIndex(0)
    scheduling.cancel(practice, moved, reason="Viagem")
    qtbot.waitUntil(lambda: shown(w) == [("Maria Silva", "confirmed")], timeout=3000)
    qtbot.mouseClick(w.agenda.show_faded, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("João Alves", "cancelled") in shown(w), timeout=3000)


def test_availability_shading(qtbot: QtBot, window: MainWindow,
                              seeded: dict[str, int]) -> None:
    w = window
    w.agenda.service_combo.setCurrentIndex(w.agenda.service_combo.findData(seeded["therapy"]))
    qtbot.waitUntil(lambda: bool(w.agenda.grid.free), timeout=3000)
    friday = w.agenda.grid.free[local("2026-11-20T00:00").date()]
    # 14:00 is taken by the confirmed session (plus its 10-minute wrap-up).
    assert not any(a <= local("2026-11-20T14:20") < b for a, b in friday)
    assert any(a <= local("2026-11-20T16:00") < b for a, b in friday)
    assert S.CONFIRMED  # the legend's statuses exist


def test_neighbouring_weeks_are_ready_and_never_stale(qtbot: QtBot, window: MainWindow,
                                                      practice: Practice,
                                                      seeded: dict[str, int]) -> None:
    w = window
    qtbot.waitUntil(lambda: len(w.agenda._cache) == 3, timeout=3000)  # this week and both sides
    # A change made elsewhere reaches next week's cached copy too.
    scheduling.confirm(practice, seeded["monday"])
    qtbot.waitUntil(lambda: len(w.agenda._cache) >= 1, timeout=3000)
    qtbot.mouseClick(w.agenda.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(w) == [("Maria Silva", "confirmed")], timeout=3000)


def test_sessions_are_reached_and_opened_by_keyboard(qtbot: QtBot, window: MainWindow,
                                                     practice: Practice,
                                                     seeded: dict[str, int]) -> None:
    w = window
    scheduling.book(practice, BookingRequest(client_id=seeded["joao"],
                                             start=local("2026-11-20T16:00"),
                                             service_id=seeded["therapy"]))
    qtbot.waitUntil(lambda: len(shown(w)) == 2, timeout=3000)
    grid = w.agenda.grid
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    assert grid.selected == seeded["today"]
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    assert grid.selected == seeded["today"]
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert seeded["today"] in w.panels and w.panels[seeded["today"]].isVisible()


def test_a_block_says_its_session_when_hovered_and_empty_hours_say_nothing(
        qtbot: QtBot, window: MainWindow, practice: Practice, seeded: dict[str, int]) -> None:
    grid = window.agenda.grid
    qtbot.mouseMove(grid, centre(window, seeded["today"]))
    assert "Maria Silva" in grid.toolTip() and "Psicoterapia" in grid.toolTip()
    empty = grid.block_rect(seeded["today"]).center().toPoint() + QPoint(0, 200)
    assert grid.block_at(empty) is None
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    at = centre(window, seeded["today"])
    QApplication.sendEvent(grid, QHelpEvent(QEvent.Type.ToolTip, at, grid.mapToGlobal(at)))
    assert QToolTip.isVisible()
    qtbot.mouseMove(grid, empty)
    assert grid.toolTip() == ""
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=1000)  # gone at once
    # A session changed while the pointer rests on it: the next move says it anew.
    qtbot.mouseMove(grid, centre(window, seeded["today"]))
    scheduling.cancel(practice, seeded["today"], reason="client asked")
    qtbot.waitUntil(lambda: grid.toolTip() == "", timeout=3000)
    window.agenda.show_faded.setChecked(True)
    qtbot.waitUntil(lambda: grid.block_rect(seeded["today"]) is not None, timeout=3000)
    qtbot.mouseMove(grid, centre(window, seeded["today"]) + QPoint(1, 0))
    assert "Maria Silva" in grid.toolTip()
