"""A label whose wrapped text takes the height it needs at its width, no more."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel

from app.ui.plain import plain


class FitLabel(QLabel):
    """A wrapping line of text that asks its layout for the height its text takes at
    its width (QLabel's own hint wraps at about 80 characters, which leaves a gap
    under a short line in a wide form)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        plain(self)
        self.setObjectName(kind)
        self.setWordWrap(True)
        self._at = -1

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if self.width() > 0 and self.text():
            return QSize(hint.width(), self.heightForWidth(self.width()))
        return hint

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit(self.width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != self._at:
            self._fit(event.size().width())

    def _fit(self, width: int) -> None:
        """Never shorter than its text at this width; asks for a new layout."""
        self._at = width
        if width > 0:
            self.setMinimumHeight(0)  # QLabel's heightForWidth counts the minimum in
            self.setMinimumHeight(self.heightForWidth(width) if self.text() else 0)
        self.updateGeometry()
