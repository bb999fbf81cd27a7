"""A mouse wheel over a drop-down or a number field that the person has not
clicked (or tabbed) into scrolls the page, never the field's value: scrolling down
a long settings page must not turn "STARTTLS" into "None" on the way, nor a dialog
that opens with its date field ready change the date.

The window's drop-downs and number fields are the classes here (ComboBox, SpinBox,
DoubleSpinBox, DateEdit, TimeEdit, DateTimeEdit), never Qt's own:
tests/unit/test_fields_guarded.py keeps it so. Each hears only its own wheel,
focus and clicks. (A proxy of the application's style that guarded every field as
Qt polished it made Python look at every widget of the window as it was made, a
private one of Qt's included, which cost the start a tenth of its build.)"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFocusEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

# How a field is given the focus by the person, not by a window or dialog opening.
_BY_THE_PERSON = (Qt.FocusReason.MouseFocusReason, Qt.FocusReason.TabFocusReason,
                  Qt.FocusReason.BacktabFocusReason, Qt.FocusReason.ShortcutFocusReason)
# The window losing and regaining activation, or a popup of the field's own, leaves
# the field as the person left it.
_KEPT_ACROSS = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)


def scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area `widget` is in: the page a wheel over it scrolls."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class _Guarded:
    """What the fields share; mixed in before the Qt class."""

    engaged = False  # the person clicked or tabbed into the field

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # the Qt class's, next in line
        self._guard()

    def _guard(self) -> None:
        field: Any = self
        # Qt gives a field with WheelFocus (theirs by default) the focus as the wheel
        # turns over it, before the field sees the turn: it would then count as
        # clicked into. A click or Tab still gives it the focus.
        if field.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.engaged = True
        super().mousePressEvent(event)  # type: ignore[misc]

    def focusInEvent(self, event: QFocusEvent) -> None:
        if event.reason() not in _KEPT_ACROSS:
            self.engaged = event.reason() in _BY_THE_PERSON
        super().focusInEvent(event)  # type: ignore[misc]

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if event.reason() not in _KEPT_ACROSS:
            self.engaged = False
        super().focusOutEvent(event)  # type: ignore[misc]

    def wheelEvent(self, event: QWheelEvent) -> None:
        field: Any = self
        if field.hasFocus() and self.engaged:
            super().wheelEvent(event)  # type: ignore[misc]
            return
        area = scroll_area_around(field)
        if area is None:
            event.ignore()
            return
        QCoreApplication.sendEvent(area.verticalScrollBar(), event)  # the page scrolls


class _FieldText(QLineEdit):
    """A field's text: a click on it engages the field, as a click on its arrows does
    (a dialog may open with the field already focused, so no focus change says it)."""

    def mousePressEvent(self, event: QMouseEvent) -> None:
        field = self.parentWidget()
        if isinstance(field, _Guarded):
            field.engaged = True
        super().mousePressEvent(event)


class ComboBox(_Guarded, QComboBox):
    def setEditable(self, editable: bool) -> None:
        super().setEditable(editable)
        if editable and not isinstance(self.lineEdit(), _FieldText):
            self.setLineEdit(_FieldText(self))


class _GuardedSpin(_Guarded):
    def _guard(self) -> None:
        super()._guard()
        field: Any = self
        field.setLineEdit(_FieldText(field))


class SpinBox(_GuardedSpin, QSpinBox):
    pass


class DoubleSpinBox(_GuardedSpin, QDoubleSpinBox):
    pass


class DateEdit(_GuardedSpin, QDateEdit):
    pass


class TimeEdit(_GuardedSpin, QTimeEdit):
    pass


class DateTimeEdit(_GuardedSpin, QDateTimeEdit):
    pass
