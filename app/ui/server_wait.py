"""Shown at start-up when this computer opens the practice's server and it does not
answer (its computer off, the network down): says so, tries again by itself every
few seconds off the GUI thread, and opens the practice as soon as it answers.
Nothing is lost while it waits; *Sair* gives up."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.i18n import _
from app.services.errors import DatabaseUnavailable
from app.services.practice import Practice, open_followed
from app.ui.plain import plain
from app.ui.style import STYLE
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.services.storage.change_feed import Watcher

RETRY_MS = 5000


class ServerWait(QDialog):
    """accept()ed with `practice` set once the server answered."""

    def __init__(self, data_dir: str | os.PathLike[str] | None, problem: str) -> None:
        super().__init__()
        self.setWindowTitle(_("Waiting for the practice's server"))
        self.setStyleSheet(STYLE)
        self.setMinimumWidth(520)
        self.data_dir = data_dir
        self.practice: Practice | None = None
        self._watcher: Watcher | None = None
        self.tasks = TaskRunner(self)
        self._trying = False
        layout = QVBoxLayout(self)
        self.problem = plain(QLabel(problem))
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.state = plain(QLabel(_("Trying again every few seconds…")))
        self.state.setObjectName("muted")
        layout.addWidget(self.state)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        # A password changed on the server, or the server moved: typed again here.
        self.change_button = QPushButton(_("Change the connection…"))
        self.change_button.clicked.connect(self.change_connection)
        buttons.addWidget(self.change_button)
        self.retry_button = QPushButton(_("Try now"))
        self.retry_button.clicked.connect(self.attempt)
        self.quit_button = QPushButton(_("Quit"))
        self.quit_button.clicked.connect(self.reject)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.quit_button)
        layout.addLayout(buttons)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.attempt)
        self.timer.start(RETRY_MS)

    def attempt(self) -> None:
        if self._trying:
            return
        self._trying = True
        self.retry_button.setEnabled(False)
        self.state.setText(_("Trying to reach the server…"))
        data_dir = self.data_dir
        self.tasks.run(lambda: open_followed(data_dir), self._opened, self._still_away)

    def change_connection(self) -> None:
        from app.services.paths import resolve
        from app.ui.server_form import JoinDialog

        dialog = JoinDialog(self, self.tasks, resolve(self.data_dir))
        if dialog.exec() == JoinDialog.DialogCode.Accepted:
            self.attempt()

    def _opened(self, opened: tuple[Practice, Watcher]) -> None:
        self._trying = False
        self.timer.stop()
        self.practice, self._watcher = opened
        self.accept()

    @property
    def opened(self) -> tuple[Practice, Watcher] | None:
        """The practice and its change feed's watcher, once the server answered."""
        if self.practice is None or self._watcher is None:
            return None
        return self.practice, self._watcher

    def _still_away(self, exc: BaseException) -> None:
        self._trying = False
        self.retry_button.setEnabled(True)
        if not isinstance(exc, DatabaseUnavailable):
            self.timer.stop()
            self.problem.setText(str(exc))
            self.state.setText("")
            return
        self.problem.setText(str(exc))
        self.state.setText(_("Trying again every few seconds…"))

    def reject(self) -> None:
        self.timer.stop()
        self.tasks.wait()
        if self.practice is not None:  # answered just as the person gave up
            if self._watcher is not None:
                self._watcher.close()
            self.practice.close()
            self.practice, self._watcher = None, None
        super().reject()
