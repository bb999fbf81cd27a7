"""The "Avançado" toggle under a channel's box: the provider's API address, which a
practice changes only to test, stays out of sight until asked for (or changed)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QToolButton, QWidget

from app.i18n import _


class AdvancedToggle(QToolButton):
    """Shows or hides the form rows of `fields`; an arrow says which."""

    def __init__(self, form: QFormLayout, *fields: QWidget) -> None:
        super().__init__()
        self.form, self.fields = form, fields
        self.setText(_("Advanced"))
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setStyleSheet("QToolButton { border: none; padding: 2px 0; }")
        self.toggled.connect(self._show)
        self._show(False)

    def _show(self, shown: bool) -> None:
        for field in self.fields:
            self.form.setRowVisible(field, shown)
        self.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
