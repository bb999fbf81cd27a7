"""A mouse wheel over a drop-down or a number field that the person has not
clicked (or tabbed) into scrolls the page, never the field's value: scrolling down
a long settings page must not turn "STARTTLS" into "None" on the way, nor a dialog
that opens with its date field ready change the date.

The guard watches the drop-downs and number fields alone, given to each as Qt
polishes it (a proxy of the application's style): watching the whole application
would bring every event of every widget through Python, which cost the window's
start half of its build."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QProxyStyle,
    QWidget,
)

_ENGAGED = "wheel_guard_engaged"  # the person clicked or tabbed into the field
# How a field is given the focus by the person, not by a window or dialog opening.
_BY_THE_PERSON = (Qt.FocusReason.MouseFocusReason, Qt.FocusReason.TabFocusReason,
                  Qt.FocusReason.BacktabFocusReason, Qt.FocusReason.ShortcutFocusReason)
_KEPT_ACROSS = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)


class WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:  # on the field, or on its text
            field = watched if isinstance(watched, QComboBox | QAbstractSpinBox) \
                else watched.parent()
            if isinstance(field, QObject):
                field.setProperty(_ENGAGED, True)
            return False
        if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            reason = event.reason()  # type: ignore[attr-defined]
            # The window losing and regaining activation, or a popup of the field's
            # own, leaves the field as the person left it.
            if reason not in _KEPT_ACROSS:
                watched.setProperty(_ENGAGED, kind == QEvent.Type.FocusIn and
                                    reason in _BY_THE_PERSON)
            return False
        if kind != QEvent.Type.Wheel or not isinstance(
                watched, QComboBox | QAbstractSpinBox) or (
                watched.hasFocus() and bool(watched.property(_ENGAGED))):
            return False
        area = scroll_area_around(watched)
        if area is not None:  # the page scrolls instead
            QCoreApplication.sendEvent(area.verticalScrollBar(), event)
        return True


class _GuardingStyle(QProxyStyle):
    """The application's own style, which gives the guard to each drop-down and
    number field it polishes (style sheets pass polishing on to it)."""

    def __init__(self, key: str, guard: WheelGuard) -> None:
        super().__init__(key)
        self._guard = guard

    def polish(self, target: Any) -> Any:  # a widget, the application or a palette
        if isinstance(target, QLineEdit) and isinstance(target.parent(),
                                                        QComboBox | QAbstractSpinBox):
            target.installEventFilter(self._guard)  # a click on the field's text
        if isinstance(target, QComboBox | QAbstractSpinBox):
            # Qt gives a field with WheelFocus (theirs by default) the focus as the
            # wheel turns over it, before any filter sees the turn: the field would
            # then count as clicked into. A click or Tab still gives it the focus.
            if target.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                target.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            target.installEventFilter(self._guard)  # installed once, however often polished
        return super().polish(target)


def scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area `widget` is in: the page a wheel over it scrolls."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def install() -> None:
    """Once per application, before its widgets are shown."""
    app = QApplication.instance()
    if not isinstance(app, QApplication) or app.property("wheel_guard"):
        return
    guard = WheelGuard(app)
    app.setStyle(_GuardingStyle(app.style().name(), guard))
    app.setProperty("wheel_guard", True)
