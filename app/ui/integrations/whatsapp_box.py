"""WhatsApp (Cloud API) in Integrações: the access token, the phone number's id and
the WhatsApp Business Account's id, each with a line on where Meta shows it;
the API address out of the way under Advanced. Conectar reads the number (and
the account's templates) from Meta; Atualizar reads the templates again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton

from app.i18n import _
from app.models.enums import Channel
from app.services import config, whatsapp_number, whatsapp_templates
from app.services.errors import PracticeError
from app.ui.integrations.advanced import AdvancedToggle
from app.ui.integrations.channel_box import ChannelBox
from app.ui.notifications_page import message_label

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


class WhatsAppBox(ChannelBox):
    def __init__(self, tab: IntegrationsTab) -> None:
        self.phone_id, self.account_id, self.api_base = QLineEdit(), QLineEdit(), QLineEdit()
        super().__init__(tab, "WhatsApp (Cloud API)", Channel.WHATSAPP, [
            ("whatsapp.phone_number_id", _("Phone number ID"), self.phone_id),
            ("whatsapp.business_account_id", _("WhatsApp Business Account ID"),
             self.account_id),
            ("whatsapp.api_base", _("API address"), self.api_base)],
            (_("Access token"), "whatsapp.token"), _("Phone for the test, e.g. (11) 98765-4321"))
        form = self.layout()
        assert isinstance(form, QFormLayout)
        self.phone_id.setPlaceholderText(_("Digits only"))
        self.account_id.setPlaceholderText(_("Digits only"))
        self.hints = {
            self.phone_id: _("In the Meta app's WhatsApp › API Setup page (or WhatsApp "
                             "Manager › Phone numbers): the Phone number ID, digits — not the "
                             "phone number itself."),
            self.account_id: _("On the same API Setup page: the WhatsApp Business Account "
                               "ID. Your approved templates are read from it."),
            self.secret: _("API Setup shows a temporary token (24 hours). For one that does "
                           "not expire, generate a system user's token in Meta's Business "
                           "Settings with whatsapp_business_messaging and "
                           "whatsapp_business_management.")}
        for field, text in self.hints.items():
            hint = message_label("muted")
            hint.setText(text)
            form.insertRow(form.getWidgetPosition(field)[0] + 1, "", hint)
        # The API address is Meta's own: changed only to test, or for another version.
        self.advanced = AdvancedToggle(form, self.api_base)
        form.insertRow(form.getWidgetPosition(self.api_base)[0], "", self.advanced)
        self.connect_button = QPushButton(_("Connect and test"))
        self.connect_button.setObjectName("primary")
        self.connect_button.clicked.connect(self.connect_number)
        self.refresh_button = QPushButton(_("Refresh templates"))
        self.refresh_button.clicked.connect(self.refresh_templates)
        row = QHBoxLayout()
        row.addWidget(self.connect_button)
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        self.number = message_label("muted")
        at = form.getWidgetPosition(self.secret)[0] + 2  # after the token's hint
        form.insertRow(at, row)
        form.insertRow(at + 1, self.number)

    def load(self, cfg: dict[str, str], stored: bool | None) -> None:
        super().load(cfg, stored)
        changed = cfg["whatsapp.api_base"] != config.KEYS["whatsapp.api_base"].default
        self.advanced.setChecked(changed)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, PracticeError):
            self.number.setText("⚠ " + str(exc))
        else:
            self.tab.window_.show_error(exc)

    def connect_number(self) -> None:
        """Conectar: read the number from Meta with what is typed; only when Meta
        knows it is the form saved (a wrong token never replaces one that works),
        then (with the account's id) the templates are read."""
        p, tasks = self.tab.window_.practice, self.tab.window_.tasks
        values, typed = self.values(), self.secret.text()
        self.result.clear()
        self.number.setText(_("Reading the number from Meta…"))

        def read() -> str:
            return whatsapp_number.said(whatsapp_number.check(
                p, values["whatsapp.phone_number_id"], values["whatsapp.api_base"], typed))

        def templates() -> str:
            if not config.get(p, "whatsapp.business_account_id"):
                return ""
            try:
                return whatsapp_templates.refreshed_words(whatsapp_templates.refresh(p))
            except PracticeError as exc:
                return "⚠ " + str(exc)

        def known(said: str) -> None:
            self.number.setText(said)
            self._save(then=lambda: tasks.run(
                templates, lambda words: self.number.setText(
                    "\n".join(line for line in (said, words) if line)), self._failed))

        tasks.run(read, known, self._failed)

    def save_failed(self, exc: Exception) -> None:
        super().save_failed(exc)
        self.number.clear()

    def refresh_templates(self) -> None:
        """Atualizar: save what is typed, then read the account's templates again."""
        p, tasks = self.tab.window_.practice, self.tab.window_.tasks
        self.number.setText(_("Reading the templates from Meta…"))

        def done(result: Any) -> None:
            self.number.setText(whatsapp_templates.refreshed_words(result))

        self._save(then=lambda: tasks.run(lambda: whatsapp_templates.refresh(p), done,
                                          self._failed))
