"""The practice's server as a person types it — its computer (and port), the
database, the user and the password — and the dialog that connects this
computer to it ("join a practice that already uses Practice Desk on another
computer"), used by the set-up assistant and when a data folder in a network
folder is refused. Connecting runs off the GUI thread; each failure is one
sentence; the password goes to the keyring only (storage.connecting)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import URL

from app.i18n import _
from app.services.errors import InvalidInput, PracticeError
from app.services.paths import DataPaths
from app.services.storage import connecting
from app.ui.notifications_page import message_label


class ServerForm(QWidget):
    """The four fields of a server's address."""

    def __init__(self) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.host = QLineEdit()
        self.host.setPlaceholderText(_("e.g. recepcao.local or 192.168.0.10:5432"))
        form.addRow(_("Server's computer"), self.host)
        self.database = QLineEdit()
        self.database.setPlaceholderText(_("e.g. consultorio"))
        form.addRow(_("Database"), self.database)
        self.user = QLineEdit()
        self.user.setPlaceholderText(_("e.g. practice"))
        form.addRow(_("User"), self.user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("Only if the server asks for one"))
        form.addRow(_("Password"), self.password)

    def address(self) -> tuple[str, str | None]:
        """The address (postgresql://user@computer[:port]/database, no password) and
        the password typed, if any. Raises InvalidInput for a port that is not a
        number; the rest is checked by location.server_url."""
        host, _sep, port = self.host.text().strip().rpartition(":") if \
            ":" in self.host.text() else (self.host.text().strip(), "", "")
        if port and not port.isdigit():
            raise InvalidInput(_("The port after the server's computer is a number, e.g. "
                                 "recepcao.local:5432."))
        url = URL.create("postgresql", username=self.user.text().strip() or None,
                         host=host or None, port=int(port) if port else None,
                         database=self.database.text().strip() or None)
        return url.render_as_string(hide_password=False), self.password.text() or None

    def clear_password(self) -> None:
        self.password.clear()


def connect_off_thread(tasks: Any, paths: DataPaths, form: ServerForm, *, move: bool,
                       done: Callable[[Any], None],
                       failed: Callable[[Exception], None]) -> None:
    """Connect this computer to the server in `form` (or move its practice there)
    on a worker thread; `done` gets connecting.Connected or Moved, `failed` the
    exception (a PracticeError's text is the sentence to show)."""
    try:
        address, password = form.address()
    except InvalidInput as exc:
        failed(exc)
        return
    work = connecting.move_to if move else connecting.connect
    tasks.run(lambda: work(paths, address, password), done, failed)


class JoinDialog(QDialog):
    """Join a practice that already uses Practice Desk on another computer: its
    server's address, Connect, and then the practice opened from there."""

    def __init__(self, parent: QWidget | None, tasks: Any, paths: DataPaths) -> None:
        super().__init__(parent)
        self.tasks, self.paths = tasks, paths
        self.connected: connecting.Connected | None = None
        self.setWindowTitle(_("Join a practice on another computer"))
        self.setMinimumWidth(520)
        col = QVBoxLayout(self)
        intro = QLabel(_("The practice's data is on its server (usually the reception's "
                         "computer). Ask whoever set it up for these four things."))
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        col.addWidget(intro)
        self.form = ServerForm()
        col.addWidget(self.form)
        self.result = message_label("muted")
        col.addWidget(self.result)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.connect_button = QPushButton(_("Connect"))
        self.connect_button.setObjectName("primary")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.connect_now)
        row.addWidget(self.cancel_button)
        row.addWidget(self.connect_button)
        col.addLayout(row)

    def connect_now(self) -> None:
        if self.connected is not None:  # the button now says "Open the practice"
            self.accept()
            return
        self.connect_button.setEnabled(False)
        self.result.setText(_("Connecting…"))
        connect_off_thread(self.tasks, self.paths, self.form, move=False,
                           done=self._connected, failed=self._failed)

    def _connected(self, done: connecting.Connected) -> None:
        self.connected = done
        self.form.clear_password()
        self.form.setEnabled(False)
        self.result.setText(_("Connected to {where}. Practice Desk now opens the practice "
                              "from there: the window closes and opens again.").format(
            where=done.where))
        self.connect_button.setText(_("Open the practice"))
        self.connect_button.setEnabled(True)
        self.cancel_button.hide()

    def _failed(self, exc: Exception) -> None:
        self.connect_button.setEnabled(True)
        if not isinstance(exc, PracticeError):
            raise exc
        self.result.setText("⚠ " + str(exc))
