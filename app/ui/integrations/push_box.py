"""Notifications on clients' phones in Integrações: *Ativar* makes the practice's
key pair (once) and gives its public half to the relay, so the links' pages offer
*Receber lembretes neste celular*; *Testar* checks that the relay still offers it
(push_keys). The private half stays in this computer's keyring."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QPushButton

from app.i18n import _
from app.services import push_keys
from app.services.errors import PracticeError
from app.services.practice import Practice
from app.ui.notifications_page import message_label

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


class PushBox(QGroupBox):
    def __init__(self, tab: IntegrationsTab) -> None:
        super().__init__(_("Notifications on clients' phones"))
        self.tab = tab
        form = QFormLayout(self)
        intro = message_label("muted")
        intro.setText(_("A client who opens a reminder's link can tap Receive reminders on "
                        "this phone; from then on reminders can reach their phone as a "
                        "notification with Confirm and Cancel. It needs the confirmation "
                        "links (above)."))
        form.addRow(intro)
        self.state = message_label("muted")
        form.addRow(_("State"), self.state)
        self.on_button = QPushButton(_("Turn on"))
        self.on_button.clicked.connect(self.turn_on)
        self.test_button = QPushButton(_("Test"))
        self.test_button.clicked.connect(self.test)
        self.off_button = QPushButton(_("Turn off"))
        self.off_button.clicked.connect(self.turn_off)
        buttons = QHBoxLayout()
        buttons.addWidget(self.on_button)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.off_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.result = message_label("muted")
        form.addRow(self.result)

    def load(self, cfg: dict[str, str]) -> None:
        on = bool(cfg["push.public_key"])
        self.state.setText(_("On: the links' pages offer notifications.") if on else
                           _("Off."))
        self.on_button.setText(_("Turn on again") if on else _("Turn on"))
        self.test_button.setEnabled(on)
        self.off_button.setVisible(on)

    def turn_on(self) -> None:
        self._run(push_keys.turn_on, _("Turning on…"))

    def turn_off(self) -> None:
        self._run(push_keys.turn_off, _("Turning off…"))

    def test(self) -> None:
        self._run(push_keys.check, _("Testing…"))

    def _run(self, work: Callable[[Practice], str], doing: str) -> None:
        p = self.tab.window_.practice
        self.result.setText(doing)

        def done(said: str) -> None:
            self.result.setText(said)
            self.tab.reload()

        def failed(exc: Exception) -> None:
            if not isinstance(exc, PracticeError):
                self.tab.window_.show_error(exc)
                return
            self.result.setText("⚠ " + str(exc))
            self.tab.reload_overview()

        self.tab.window_.tasks.run(lambda: work(p), done, failed)
