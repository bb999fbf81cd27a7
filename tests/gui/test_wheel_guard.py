"""The wheel over a drop-down or number field not clicked into scrolls the page;
once the person has clicked into it, the wheel is the field's. This holds for
fields made at any time, in any window (each is given the guard as Qt polishes
it), while the application's other widgets' events never pass through Python."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow


def turn(widget: QWidget) -> None:
    middle = QPointF(widget.width() / 2, widget.height() / 2)
    QApplication.sendEvent(widget, QWheelEvent(
        middle, QPointF(widget.mapToGlobal(middle.toPoint())), QPoint(0, 0), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False))


def a_long_page(qtbot: QtBot) -> tuple[QScrollArea, QComboBox, QSpinBox]:
    area = QScrollArea()
    qtbot.addWidget(area)
    inner = QWidget()
    column = QVBoxLayout(inner)
    combo, number = QComboBox(), QSpinBox()
    combo.addItems(["STARTTLS", "SSL", "None"])
    number.setRange(0, 100)
    number.setValue(50)
    column.addWidget(combo)
    column.addWidget(number)
    column.addSpacing(3000)
    area.setWidget(inner)
    area.resize(300, 200)
    area.show()
    qtbot.waitExposed(area)
    return area, combo, number


def test_fields_made_after_the_window_scroll_their_page_not_their_value(
        qtbot: QtBot, window: MainWindow) -> None:
    area, combo, number = a_long_page(qtbot)
    for field in (combo, number, combo):
        top = area.verticalScrollBar().value()
        turn(field)
        assert area.verticalScrollBar().value() > top
    assert combo.currentText() == "STARTTLS"
    assert number.value() == 50


def test_a_field_clicked_into_takes_the_wheel(qtbot: QtBot, window: MainWindow) -> None:
    area, _combo, number = a_long_page(qtbot)
    area.activateWindow()
    number.setFocus()
    qtbot.waitUntil(number.hasFocus)
    turn(number)
    assert number.value() != 50
