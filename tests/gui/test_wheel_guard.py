"""The wheel over a drop-down or number field not clicked into scrolls the page;
once the person has clicked into it, the wheel is the field's. The window's fields
are wheel_guard's classes (tests/unit/test_fields_guarded.py), each hearing only
its own wheel, focus and clicks."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.ui.main_window import MainWindow
from app.ui.wheel_guard import ComboBox, DateEdit, SpinBox


def turn(widget: QWidget) -> None:
    middle = QPointF(widget.width() / 2, widget.height() / 2)
    QApplication.sendEvent(widget, QWheelEvent(
        middle, QPointF(widget.mapToGlobal(middle.toPoint())), QPoint(0, 0), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False))


def a_long_page(qtbot: QtBot) -> tuple[QScrollArea, ComboBox, SpinBox]:
    area = QScrollArea()
    qtbot.addWidget(area)
    inner = QWidget()
    column = QVBoxLayout(inner)
    combo, number = ComboBox(), SpinBox()
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


def test_a_field_not_clicked_into_scrolls_its_page_not_its_value(
        qtbot: QtBot, window: MainWindow) -> None:
    area, combo, number = a_long_page(qtbot)
    for field in (combo, number, combo):
        top = area.verticalScrollBar().value()
        turn(field)
        assert area.verticalScrollBar().value() > top
    assert combo.currentText() == "STARTTLS"
    assert number.value() == 50


def test_the_wheel_never_gives_a_field_the_focus(qtbot: QtBot, window: MainWindow) -> None:
    """A real wheel turn (the system's, not a test's) gives a field whose policy is
    Qt's default for them, WheelFocus, the focus before any filter sees it: the
    field would then count as clicked into and take the turn. Every drop-down and
    number field, in the window and in any dialog, is made to take the focus by
    click or Tab only."""
    from PySide6.QtWidgets import QAbstractSpinBox

    _area, combo, number = a_long_page(qtbot)
    for field in (combo, number):
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus
    window.settings_page.show()
    window.show_page("settings")
    fields = [w for w in window.findChildren(QWidget)
              if isinstance(w, QComboBox | QAbstractSpinBox) and w.isVisible()]
    assert fields
    assert all(f.focusPolicy() != Qt.FocusPolicy.WheelFocus for f in fields)


def test_a_field_clicked_or_tabbed_into_takes_the_wheel(qtbot: QtBot,
                                                       window: MainWindow) -> None:
    from PySide6.QtWidgets import QLineEdit

    area, combo, number = a_long_page(qtbot)
    area.activateWindow()
    qtbot.mouseClick(number.findChild(QLineEdit), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(number.hasFocus)
    turn(number)
    assert number.value() != 50
    qtbot.keyClick(number, Qt.Key.Key_Backtab)  # back to the drop-down, by the keyboard
    qtbot.waitUntil(combo.hasFocus)
    turn(combo)
    assert combo.currentText() != "STARTTLS"


def test_a_field_a_dialog_opens_on_keeps_its_value_until_clicked(qtbot: QtBot,
                                                                 window: MainWindow) -> None:
    """A dialog opens with its date ready to type: the wheel passing over it must not
    change the date (a reschedule moved a day, an export's period a month)."""
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QDialog, QLineEdit

    dialog = QDialog(window)
    qtbot.addWidget(dialog)
    column = QVBoxLayout(dialog)
    date = DateEdit(QDate(2026, 12, 4))
    column.addWidget(date)
    dialog.show()
    qtbot.waitExposed(dialog)
    date.setFocus()  # as a dialog gives its first field the focus
    qtbot.waitUntil(date.hasFocus)
    turn(date)
    assert date.date() == QDate(2026, 12, 4)
    edit = date.findChild(QLineEdit)
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=edit.rect().topLeft() + QPoint(4, 4))
    turn(date)
    assert date.date() != QDate(2026, 12, 4)  # the section clicked (the month, in English)


def test_a_typed_drop_down_clicked_on_its_text_takes_the_wheel(qtbot: QtBot,
                                                               window: MainWindow) -> None:
    """A drop-down one may type into (a time of day) is engaged by a click on its
    text too, as a dialog may open with it focused already."""
    from datetime import time

    from app.ui.hours_grid import TimeField

    area = QScrollArea()
    qtbot.addWidget(area)
    inner = QWidget()
    column = QVBoxLayout(inner)
    field = TimeField(time(9, 0))
    column.addWidget(field)
    column.addSpacing(3000)
    area.setWidget(inner)
    area.resize(300, 200)
    area.show()
    qtbot.waitExposed(area)
    field.setFocus()  # as a dialog gives its first field the focus
    qtbot.waitUntil(field.hasFocus)
    before = field.currentText()
    turn(field)
    assert field.currentText() == before and area.verticalScrollBar().value() > 0
    edit = field.lineEdit()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(4, 4))
    turn(field)
    assert field.currentText() != before
