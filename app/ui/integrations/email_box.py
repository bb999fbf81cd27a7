"""E-mail in Integrações: sending (SMTP) and the mailbox clients' replies arrive
in (IMAP)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QLineEdit

from app.i18n import _
from app.models.enums import Channel
from app.services import mail_inbound
from app.ui.integrations.channel_box import ChannelBox

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


class EmailBox(ChannelBox):
    def __init__(self, tab: IntegrationsTab) -> None:
        security = QComboBox()
        for value, name in (("starttls", "STARTTLS"), ("ssl", "SSL/TLS"),
                            ("none", _("None (local tests only)"))):
            security.addItem(name, value)
        super().__init__(tab, _("E-mail (SMTP)"), Channel.EMAIL, [
            ("smtp.host", _("Server"), QLineEdit()), ("smtp.port", _("Port"), QLineEdit()),
            ("smtp.security", _("Security"), security), ("smtp.user", _("User"), QLineEdit()),
            ("smtp.from", _("Sender address"), QLineEdit()),
            ("smtp.from_name", _("Sender name"), QLineEdit())],
            (_("Password"), "smtp.password"), _("E-mail for the test"))


class MailboxBox(ChannelBox):
    """The mailbox clients' e-mail replies arrive in (IMAP), read every minute into
    Conecta, with a button to read it now."""

    def __init__(self, tab: IntegrationsTab) -> None:
        security = QComboBox()
        for value, name in (("ssl", "SSL/TLS"), ("starttls", "STARTTLS"),
                            ("none", _("None (local tests only)"))):
            security.addItem(name, value)
        super().__init__(tab, _("E-mail replies (IMAP)"), Channel.EMAIL, [
            ("imap.host", _("Server"), QLineEdit()), ("imap.port", _("Port"), QLineEdit()),
            ("imap.security", _("Security"), security), ("imap.user", _("User"), QLineEdit()),
            ("imap.folder", _("Folder"), QLineEdit())],
            (_("Password"), "imap.password"), "")
        self.test_to.hide()
        self.test_button.setText(_("Read the mailbox now"))

    def test(self) -> None:
        p = self.tab.window_.practice
        self.result.setText(_("Reading…"))

        def read() -> None:
            self.tab.window_.tasks.run(
                lambda: mail_inbound.fetch(p),
                lambda report: self.result.setText(
                    _("Read. {n} client replies put in Conecta.").format(n=report.taken)),
                lambda exc: self.result.setText("⚠ " + str(exc)))

        self._save(then=read)
