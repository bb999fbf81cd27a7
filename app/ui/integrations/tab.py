"""The Integrações tab: each channel's box, one under the other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLineEdit, QScrollArea, QVBoxLayout, QWidget

from app.services import config, reach, secrets
from app.services.channel_setup import NOTIFICATIONS
from app.ui.integrations.email_box import EmailBox, MailboxBox
from app.ui.integrations.links_box import LinksBox
from app.ui.integrations.overview import Overview
from app.ui.integrations.push_box import PushBox
from app.ui.integrations.sms_box import SmsBox
from app.ui.integrations.voice_box import VoiceBox
from app.ui.integrations.whatsapp_box import WhatsAppBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class IntegrationsTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        inner = QWidget()
        col = QVBoxLayout(inner)
        self.overview = Overview(reach.SHOWN, self.go_to)
        col.addWidget(self.overview)
        self.links = LinksBox(self)  # confirmation links: the relay, paired by a code
        col.addWidget(self.links)
        self.whatsapp = WhatsAppBox(self)
        self.email = EmailBox(self)
        self.sms = SmsBox(self)
        self.mailbox = MailboxBox(self)
        self.voice = VoiceBox(self)
        self.push = PushBox(self)
        for box in (self.whatsapp, self.email, self.mailbox, self.sms, self.voice, self.push):
            col.addWidget(box)
        col.addStretch(1)
        self.area = QScrollArea()
        self.area.setWidget(inner)
        self.area.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.area)
        self.loaded = False

    def boxes(self) -> dict[str, QWidget]:
        """Each channel's box, by the overview's names for them."""
        return {"whatsapp": self.whatsapp, "email": self.email, "sms": self.sms,
                "voice": self.voice, "push": self.push, "links": self.links}

    def go_to(self, channel: str, fix: str | None = None) -> None:
        """Brings a channel's box into view, its first field focused; or the tab
        that fixes what it lacks (a reminder template: Notificações)."""
        if fix == NOTIFICATIONS:
            self.window_.settings_page.show_tab("notifications")
            return
        box = self.boxes().get(channel)
        if box is None:
            return
        self.area.ensureWidgetVisible(box, 0, 0)
        # Its top at the top of the view, not merely somewhere on screen.
        self.area.verticalScrollBar().setValue(box.y())
        first = box.findChild(QLineEdit)
        if first is not None:
            first.setFocus()

    def reload_overview(self) -> None:
        """The overview again (after a test, a send, a change made elsewhere)."""
        p = self.window_.practice
        poller = self.window_.worker.poller if self.window_.worker is not None else None
        reachable = poller.connected if poller is not None else None
        self.window_.tasks.run(lambda: reach.overview(p, reachable),
                               lambda found: self.overview.show_reach(found,
                                                                      self.window_.now()),
                               self.window_.show_error)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.loaded:  # the keyring is asked only when this page is opened
            self.reload()
        else:  # messages went or failed meanwhile
            self.reload_overview()

    def reload(self) -> None:
        p = self.window_.practice
        self.loaded = True
        self.reload_overview()
        self.links.reload()

        def load() -> tuple[tuple[dict[str, str], dict[str, int]], dict[str, bool | None]]:
            stored: dict[str, bool | None] = {}
            for name in ("whatsapp.token", "smtp.password", "sms.auth_token", "imap.password"):
                try:
                    stored[name] = secrets.is_set(name)
                except secrets.SecretsUnavailable:
                    stored[name] = None
            return config.get_with_versions(p), stored

        def loaded(result: tuple[tuple[dict[str, str], dict[str, int]],
                                 dict[str, bool | None]]) -> None:
            (cfg, versions), stored = result
            for box in (self.whatsapp, self.email, self.mailbox, self.sms):
                box.note_versions(cfg, versions)  # what Salvar names (versions.py)
                box.load(cfg, stored[box.secret_name])
            self.voice.load(cfg, versions)
            self.push.load(cfg)

        self.window_.tasks.run(load, loaded, self.window_.show_error)


