"""The Integrações tab: each channel's box, one under the other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from app.services import config, secrets
from app.ui.integrations.email_box import EmailBox, MailboxBox
from app.ui.integrations.links_box import LinksBox
from app.ui.integrations.sms_box import SmsBox
from app.ui.integrations.whatsapp_box import WhatsAppBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class IntegrationsTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        inner = QWidget()
        col = QVBoxLayout(inner)
        self.links = LinksBox(self)  # confirmation links: the relay, paired by a code
        col.addWidget(self.links)
        self.whatsapp = WhatsAppBox(self)
        self.email = EmailBox(self)
        self.sms = SmsBox(self)
        self.mailbox = MailboxBox(self)
        for box in (self.whatsapp, self.email, self.mailbox, self.sms):
            col.addWidget(box)
        col.addStretch(1)
        area = QScrollArea()
        area.setWidget(inner)
        area.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(area)
        self.loaded = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.loaded:  # the keyring is asked only when this page is opened
            self.reload()

    def reload(self) -> None:
        p = self.window_.practice
        self.loaded = True
        self.links.reload()

        def load() -> tuple[dict[str, str], dict[str, bool | None]]:
            stored: dict[str, bool | None] = {}
            for name in ("whatsapp.token", "smtp.password", "sms.auth_token", "imap.password"):
                try:
                    stored[name] = secrets.is_set(name)
                except secrets.SecretsUnavailable:
                    stored[name] = None
            return config.get_all(p), stored

        def loaded(result: tuple[dict[str, str], dict[str, bool | None]]) -> None:
            cfg, stored = result
            for box in (self.whatsapp, self.email, self.mailbox, self.sms):
                box.load(cfg, stored[box.secret_name])

        self.window_.tasks.run(load, loaded, self.window_.show_error)


