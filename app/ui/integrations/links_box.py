"""Confirmation links in Integrações: pair with the relay by a code (Conectar),
check the connection (Testar), and a sample link to open in the browser.

The relay's address and the code come from the person who runs the relay
(`practice-relay practice add`); the secrets pairing brings go to the keyring and
are never shown. The work runs off the GUI thread (window.tasks)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.services import relay_pairing, settings
from app.services.errors import PracticeError
from app.ui.notifications_page import message_label
from app.ui.plain import escape_breakable, rich

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


class LinksBox(QGroupBox):
    """The relay's address and the pairing code, Conectar and Testar, what came of
    them, and whether this computer is paired."""

    def __init__(self, tab: IntegrationsTab) -> None:
        super().__init__(_("Confirmation links"))
        self.tab = tab
        self._had_focus: QWidget | None = None  # where focus was when a button was pressed
        form = QFormLayout(self)
        intro = message_label("muted")
        intro.setText(_("Clients confirm or cancel from a link in their reminder, on a page "
                        "served by the relay. Connect this computer to it once."))
        form.addRow(intro)
        self.address = QLineEdit()
        self.address.setPlaceholderText("https://relay.example.com")
        form.addRow(_("Relay address"), self.address)
        form.addRow("", self._help(_("Given by the person who runs the relay, with the code.")))
        self.code = QLineEdit()
        self.code.setPlaceholderText(_("e.g. 7K3Q-MPX9-TV2A-AB12-CD34"))
        form.addRow(_("Pairing code"), self.code)
        form.addRow("", self._help(_("Given with the address; it works once, for 24 hours.")))
        self.connect_button = QPushButton(_("Connect"))
        self.connect_button.clicked.connect(self.connect_relay)
        self.test_button = QPushButton(_("Test"))
        self.test_button.clicked.connect(self.test)
        self.test_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.connect_button)
        row.addWidget(self.test_button)
        row.addStretch(1)
        form.addRow(row)
        self.state = message_label("muted")
        form.addRow(self.state)
        self.result = message_label("muted")
        form.addRow(self.result)
        # The one rich label: the app's own <a>, the link itself escaped.
        self.sample = rich("")
        self.sample.setWordWrap(True)
        self.sample.setOpenExternalLinks(False)
        self.sample.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse |
                                            Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.sample.linkActivated.connect(self.open_link)
        self.sample.hide()
        form.addRow(self.sample)
        self.paired: bool | None = None
        self.loaded = False
        self.working = False  # a Conectar or Testar is under way

    @staticmethod
    def _help(text: str) -> QLabel:
        shown = message_label("muted")
        shown.setText(text)
        return shown

    # ---------------------------------------------------------------- state

    def reload(self) -> None:
        """Reads whether this computer is paired (configuration and keyring) in
        the background and shows it."""
        p = self.tab.window_.practice

        def load() -> tuple[relay_pairing.PairingState, ZoneInfo]:
            return relay_pairing.state(p), settings.get(p).zone

        self.tab.window_.tasks.run(load, self._show_state, self.tab.window_.show_error)

    def _show_state(self, loaded: tuple[relay_pairing.PairingState, ZoneInfo]) -> None:
        found, zone = loaded
        self.loaded = True
        self.paired = found.paired
        if found.relay and not self.address.text().strip():
            self.address.setText(found.relay)
        if found.paired is None:
            text = _("The system keyring is not available: this computer cannot keep the "
                     "relay's keys.")
        elif not found.paired:
            text = _("Not paired with a relay yet.")
        elif found.practice_id:
            text = _("Paired with {relay} (practice {id}).").format(relay=found.relay,
                                                                    id=found.practice_id)
        else:
            text = _("Paired with {relay}.").format(relay=found.relay)
        check = found.last_check
        if check is not None:
            when = i18n.format_datetime(check.at.astimezone(zone))
            text += " " + (_("Last check {when}: it worked.") if check.ok else
                           _("Last check {when}: it did not work.")).format(when=when)
        self.state.setText(text)
        self._idle()

    def _idle(self) -> None:
        if self.working:  # the state was read again meanwhile (another box saved)
            return
        self.connect_button.setEnabled(True)
        self.test_button.setEnabled(bool(self.paired))
        back = self._had_focus
        if back is not None:
            self._had_focus = None
            (back if back.isEnabled() else self.connect_button).setFocus()

    def _busy(self, doing: str) -> None:
        self.working = True
        # Focus stays where the person was: a disabled button would pass it on to
        # the next field of the page (another box's).
        self._had_focus = self.focusWidget() if self.isAncestorOf(
            QApplication.focusWidget()) else None
        self.connect_button.setEnabled(False)
        self.test_button.setEnabled(False)
        self.result.setText(doing)
        self.sample.hide()

    # ---------------------------------------------------------------- actions

    def connect_relay(self) -> None:
        """Conectar: pairs with the relay by the code, then checks the connection."""
        p, url, code = self.tab.window_.practice, self.address.text(), self.code.text()
        self._busy(_("Connecting…"))
        self.tab.window_.tasks.run(lambda: relay_pairing.pair(p, url, code),
                                   self._connected, self._failed)

    def test(self) -> None:
        """Testar: the relay answers, takes this computer's key, knows its links."""
        p = self.tab.window_.practice
        self._busy(_("Testing…"))
        self.tab.window_.tasks.run(lambda: relay_pairing.check(p), self._done, self._failed)

    def _connected(self, found: relay_pairing.Connection) -> None:
        self.code.clear()  # spent: it works once
        self._done(found)

    def _done(self, found: relay_pairing.Connection) -> None:
        self.working = False
        self.result.setText(found.said)
        if found.sample is not None:
            url = found.sample.url
            href = html.escape(url, quote=True)
            self.sample.setText(f'<a href="{href}">{escape_breakable(url)}</a>')
            self.sample.setToolTip(_("Opens in the browser; opening it changes nothing."))
            self.sample.show()
        self.reload()

    def _failed(self, exc: Exception) -> None:
        self.working = False
        if not isinstance(exc, PracticeError):
            self.result.setText("")
            self._idle()
            self.tab.window_.show_error(exc)
            return
        self.result.setText("⚠ " + str(exc))
        self._idle()  # at once, with the refusal: not after the state is read again
        self.reload()

    def open_link(self, href: str) -> None:
        QDesktopServices.openUrl(QUrl(href))
