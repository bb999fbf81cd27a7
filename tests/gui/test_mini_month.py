"""The small month beside the agenda: a click or a key jumps the agenda there, the
arrows turn the month, the days the agenda shows are shaded, and the wheel over it
scrolls the column instead of turning the month."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import i18n
from app.ui.agenda.mini_month import PERIOD_FILL, MiniMonth
from app.ui.main_window import MainWindow


def _click(qtbot: QtBot, mini: MiniMonth, at: QPointF) -> None:
    qtbot.mouseClick(mini, Qt.MouseButton.LeftButton, pos=at.toPoint())


def test_clicking_a_day_jumps_the_agenda_there(qtbot: QtBot, window: MainWindow) -> None:
    agenda = window.agenda
    mini = agenda.mini
    today = window.today()
    assert mini.selected() == today and mini.shown_month() == today.replace(day=1)
    target = today + timedelta(days=10)
    rect = mini.day_rect(target)
    assert rect is not None
    _click(qtbot, mini, rect.center())
    assert agenda.anchor == target
    assert mini.selected() == target
    assert agenda.grid.days[0] <= target <= agenda.grid.days[-1]


def test_the_arrows_turn_the_month_without_moving_the_agenda(
        qtbot: QtBot, window: MainWindow) -> None:
    agenda = window.agenda
    mini = agenda.mini
    before = agenda.anchor
    month = mini.shown_month()
    _click(qtbot, mini, QPointF(mini.width() - 12, 10))  # ›
    assert mini.shown_month() == date(2026, 12, 1) == (month + timedelta(days=31)).replace(day=1)
    assert agenda.anchor == before
    _click(qtbot, mini, QPointF(12, 10))  # ‹
    _click(qtbot, mini, QPointF(12, 10))
    assert mini.shown_month() == date(2026, 10, 1)
    # A day of the month turned to is a day like any other.
    rect = mini.day_rect(date(2026, 10, 7))
    assert rect is not None
    _click(qtbot, mini, rect.center())
    assert agenda.anchor == date(2026, 10, 7)


def test_keys_choose_a_day_and_the_agenda_follows(qtbot: QtBot, window: MainWindow) -> None:
    agenda = window.agenda
    mini = agenda.mini
    mini.setFocus()
    start = agenda.anchor
    qtbot.keyClick(mini, Qt.Key.Key_Right)
    assert agenda.anchor == start + timedelta(days=1)
    qtbot.keyClick(mini, Qt.Key.Key_Down)
    assert agenda.anchor == start + timedelta(days=8)
    qtbot.keyClick(mini, Qt.Key.Key_PageDown)  # the same day next month
    assert agenda.anchor == date(2026, 12, (start + timedelta(days=8)).day)
    assert mini.shown_month() == date(2026, 12, 1)
    qtbot.keyClick(mini, Qt.Key.Key_End)
    assert agenda.anchor == date(2026, 12, 31)
    qtbot.keyClick(mini, Qt.Key.Key_Home)
    assert agenda.anchor == date(2026, 12, 1)


def test_the_month_of_31_days_turns_into_a_shorter_one(qtbot: QtBot, window: MainWindow) -> None:
    mini = window.agenda.mini
    window.agenda.jump(date(2027, 1, 31))
    mini.setFocus()
    qtbot.keyClick(mini, Qt.Key.Key_PageDown)
    assert window.agenda.anchor == date(2027, 2, 28)


def test_the_days_the_agenda_shows_are_shaded(qtbot: QtBot, window: MainWindow) -> None:
    mini = window.agenda.mini
    shown = window.agenda.grid.days
    other = next(d for d in shown if d != mini.selected())
    outside = shown[0] - timedelta(days=3)

    def fill(day: date) -> QColor:
        rect = mini.day_rect(day)
        assert rect is not None
        # a cell's corner: away from the number, the hover and the chosen day's mark
        return mini.grab().toImage().pixelColor(QPoint(int(rect.left()) + 2,
                                                       int(rect.top()) + 2))

    assert fill(other) == PERIOD_FILL
    assert fill(outside) != PERIOD_FILL
    window.agenda.set_mode("month")  # the whole month is the period: nothing shaded
    qtbot.waitUntil(lambda: fill(other) != PERIOD_FILL, timeout=3000)


def test_the_wheel_over_the_month_scrolls_the_column_not_the_month(
        qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1100, 620)  # short: the column beside the agenda scrolls
    qtbot.waitUntil(lambda: window.agenda.mini.height() > 0, timeout=3000)
    mini = window.agenda.mini
    column = mini.parentWidget().parentWidget().parentWidget()  # the side's scroll area
    bar = column.verticalScrollBar()
    assert bar.maximum() > 0
    month = mini.shown_month()
    centre = QPointF(mini.width() / 2, mini.height() / 2)
    turn = QWheelEvent(centre, QPointF(mini.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                       QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                       Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(mini, turn)
    assert mini.shown_month() == month
    assert bar.value() > 0


def test_the_month_is_named_in_the_language(qtbot: QtBot, window: MainWindow) -> None:
    assert window.agenda.mini.accessibleDescription() == "November 2026"
    try:
        window.switch_language("pt_BR")
        assert window.agenda.mini.accessibleDescription() == "Novembro 2026"
    finally:
        i18n.set_language("en")
