"""Conecta, the attendance inbox. Its conversations come with the inbox feature;
until then the page says what it will hold."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.i18n import _

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class ConectaPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("page")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        title = QLabel(_("Conecta"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        empty = QLabel(_("No attendances yet. Conversations with clients over WhatsApp, SMS, "
                         "e-mail and phone will appear here."))
        empty.setObjectName("muted")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(empty)
        layout.addStretch(1)
