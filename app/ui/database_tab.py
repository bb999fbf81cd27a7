"""Configurações › Banco de dados: which database this computer uses (this
computer's file, or the practice's server and whether it answers), and, without
a terminal, connecting to the practice's server, moving this practice there, or
going back to this computer's file. Each runs off the GUI thread and says what
went wrong in one sentence; afterwards the window reopens the practice from its
new place when the person says so."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _, ngettext
from app.services.errors import PracticeError
from app.services.storage import connecting
from app.services.storage.connecting import DatabaseState
from app.ui.notifications_page import message_label
from app.ui.plain import plain
from app.ui.server_form import ServerForm, connect_off_thread

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


def described(found: DatabaseState) -> str:
    """Where the data is, in one or two sentences."""
    if found.engine == "sqlite":
        text = _("This computer keeps the practice in its own file: {path}. Only this "
                 "computer uses it.").format(path=found.where)
    else:
        text = _("This computer uses the practice's server at {where} as {user}.").format(
            where=found.where, user=found.user)
        text += " " + (_("It answers.") if found.answers else _("It does not answer now."))
        if found.source == "env":
            text += " " + _("Chosen by PRACTICE_DATABASE_URL.")
    if found.problem:
        text += "\n" + found.problem
    return text


class DatabaseTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.state: DatabaseState | None = None
        layout = QVBoxLayout(self)
        self.where = plain(QLabel())  # a path, a server's name
        self.where.setWordWrap(True)
        layout.addWidget(self.where)

        self.server_box = QGroupBox(_("The practice's server"))
        box = QVBoxLayout(self.server_box)
        why = QLabel(_("Several computers (the reception's, the professionals' rooms) share "
                       "one practice through a PostgreSQL server. Connect to it to use that "
                       "practice here, or move this practice there so the others can "
                       "connect to it."))
        why.setObjectName("muted")
        why.setWordWrap(True)
        box.addWidget(why)
        self.form = ServerForm()
        box.addWidget(self.form)
        buttons = QHBoxLayout()
        self.connect_button = QPushButton(_("Connect to this server"))
        self.connect_button.setObjectName("primary")
        self.connect_button.clicked.connect(lambda: self._connect(move=False))
        self.move_button = QPushButton(_("Move this practice there"))
        self.move_button.setToolTip(_("Copies everything to an empty database on the "
                                      "server, compares it, then uses it; this computer's "
                                      "file stays as it was"))
        self.move_button.clicked.connect(lambda: self._connect(move=True))
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.move_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        layout.addWidget(self.server_box)

        after = QHBoxLayout()
        self.file_button = QPushButton(_("Use this computer's file again"))
        self.file_button.clicked.connect(self._disconnect)
        self.reopen_button = QPushButton(_("Reopen now"))
        self.reopen_button.setObjectName("primary")
        self.reopen_button.clicked.connect(lambda: self.window_.reopen())
        self.reopen_button.hide()
        after.addWidget(self.reopen_button)
        after.addWidget(self.file_button)
        after.addStretch(1)
        layout.addLayout(after)
        self.result = message_label("muted")
        layout.addWidget(self.result)
        layout.addStretch(1)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        paths = self.window_.practice.paths
        self.window_.tasks.run(lambda: connecting.state(paths), self._shown, self._failed)

    def _shown(self, found: DatabaseState) -> None:
        self.state = found
        self.where.setText(described(found))
        on_file = found.engine == "sqlite"
        self.move_button.setVisible(on_file)
        self.file_button.setVisible(not on_file and found.source != "env")

    def _busy(self, on: bool) -> None:
        for button in (self.connect_button, self.move_button, self.file_button):
            button.setEnabled(not on)

    def _connect(self, move: bool) -> None:
        self._busy(True)
        self.result.setText(_("Copying the practice to the server…") if move
                            else _("Connecting…"))
        connect_off_thread(self.window_.tasks, self.window_.practice.paths, self.form,
                           move=move, done=self._done, failed=self._failed)

    def _done(self, done: connecting.Connected | connecting.Moved) -> None:
        self._busy(False)
        self.form.clear_password()
        if isinstance(done, connecting.Moved):
            text = ngettext(
                "The practice was copied to {where} ({n} row, compared table by table); "
                "this computer's file stays as it was.",
                "The practice was copied to {where} ({n} rows, compared table by table); "
                "this computer's file stays as it was.", done.total).format(
                where=done.where, n=done.total)
        else:
            text = _("Connected to {where}.").format(where=done.where)
        self._reopen_offered(text)

    def _reopen_offered(self, text: str) -> None:
        self.result.setText(text + " " + _(
            "This window still shows the practice it opened: press Reopen now to open it "
            "from its new place (the window closes and opens again)."))
        self.reopen_button.show()
        self.window_.say(text)
        self.reload()

    def _disconnect(self) -> None:
        self._busy(True)
        paths = self.window_.practice.paths

        def done(result: tuple[str, bool]) -> None:
            self._busy(False)
            self._reopen_offered(_("This computer will open its own file again: {file}. "
                                   "What was done on the server is not in it.").format(
                file=result[0]))

        self.window_.tasks.run(lambda: connecting.disconnect(paths), done, self._failed)

    def _failed(self, exc: Exception) -> None:
        self._busy(False)
        if not isinstance(exc, PracticeError):
            self.window_.show_error(exc)
            return
        self.result.setText("⚠ " + str(exc))
