"""Choosing which client file an attendance belongs to: search as you type, pick one,
or leave the attendance without a client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
)

from app.i18n import _
from app.services import clients
from app.services.clients import ClientView

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

NO_CLIENT = -1  # what `chosen` holds when the link is removed


class ClientPickerDialog(QDialog):
    def __init__(self, window: MainWindow, search: str = "", linked: int | None = None
                 ) -> None:
        super().__init__(window)
        self.window_ = window
        self.matches: list[ClientView] = []
        self.chosen: int | None = None
        self._request = 0
        self._answered: str | None = None  # the search the list shows
        self._link_first_of = 0  # a search whose first client Enter links when it comes
        self.setWindowTitle(_("Link to a client"))
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        self.search = QLineEdit(search)
        self.search.setPlaceholderText(_("Type a name, phone or e-mail"))
        layout.addWidget(self.search)
        self.results = QListWidget()
        self.results.setObjectName("list")
        self.results.itemActivated.connect(lambda _item: self.link())
        self.results.currentRowChanged.connect(
            lambda row: self.link_button.setEnabled(row >= 0))
        layout.addWidget(self.results, 1)
        self.empty = QLabel()
        self.empty.setObjectName("muted")
        layout.addWidget(self.empty)
        buttons = QDialogButtonBox()
        self.link_button = QPushButton(_("Link"))
        self.link_button.setObjectName("primary")
        self.link_button.setEnabled(False)
        self.link_button.clicked.connect(self.link)
        self.unlink_button = QPushButton(_("No client"))
        self.unlink_button.setEnabled(linked is not None)
        self.unlink_button.clicked.connect(self.unlink)
        buttons.addButton(self.link_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.unlink_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(120)
        self.timer.timeout.connect(self.find)
        self.search.textChanged.connect(lambda _t: self.timer.start())
        self.search.returnPressed.connect(self._enter)
        self.find()

    def find(self) -> None:
        self.timer.stop()
        p, text = self.window_.practice, self.search.text()
        self._request += 1
        token = self._request
        self.window_.tasks.run(lambda: (token, text, clients.search(p, text, limit=30)),
                               self._found, self.window_.show_error)

    def _found(self, result: tuple[int, str, list[ClientView]]) -> None:
        token, text, found = result
        if token != self._request:
            return
        self._answered = text
        self.matches = found
        self.results.clear()
        for c in found:
            contact = "  ·  ".join(x for x in (self.window_.phone(c.phone), c.email) if x)
            self.results.addItem(f"{c.name}  ·  {contact}" if contact else c.name)
        if found:
            self.results.setCurrentRow(0)
        self.empty.setText("" if found else _("No client matches."))
        if self._link_first_of == token and found:
            self.results.setCurrentRow(0)
            self.link()

    def _enter(self) -> None:
        """Enter in the search field links the first client found for what is typed
        now: while the list still shows an older search, that search runs at once
        and its first client is linked when it comes."""
        if self.timer.isActive() or self._answered != self.search.text():
            self.find()
            self._link_first_of = self._request
            return
        self.link()

    def link(self) -> None:
        row = self.results.currentRow()
        if self.timer.isActive() or self._answered != self.search.text() or \
                not 0 <= row < len(self.matches):
            return  # the list still shows an older search
        self._link_first_of = 0
        self.chosen = self.matches[row].id
        self.accept()

    def unlink(self) -> None:
        self.chosen = NO_CLIENT
        self.accept()
