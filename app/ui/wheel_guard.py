"""A mouse wheel over a drop-down or a number field that the person has not
clicked into scrolls the page, never the field's value: scrolling down a long
settings page must not turn "STARTTLS" into "None" on the way."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)


class WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(
                watched, QComboBox | QAbstractSpinBox) or watched.hasFocus():
            return False
        area = _scroll_area_around(watched)
        if area is not None:  # the page scrolls instead
            QCoreApplication.sendEvent(area.verticalScrollBar(), event)
        return True


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def install() -> None:
    """Once per application."""
    app = QApplication.instance()
    if app is None or app.property("wheel_guard"):
        return
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    app.setProperty("wheel_guard", True)
