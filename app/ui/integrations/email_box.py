"""E-mail in Integrações: sending (SMTP) and the mailbox clients' replies arrive
in (IMAP).

The practice types its address and presses *Find settings*: the servers are
looked for as Thunderbird does (services.channels.mail_discovery), filled into
both boxes, and the source is said ("Found in Mozilla's database of providers",
"Guessed from common server names — check them"); every field stays editable and
only the password is asked. *Test* sends a message to the practice's own address
and, with the mailbox set, finds it arriving there (services.channels.mail_check)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton

from app.i18n import _, ngettext
from app.models.enums import Channel
from app.services import channel_checks, config, mail_inbound, secrets
from app.services.channels import mail_check, mail_discovery
from app.services.channels.mail_providers import app_password_hint, app_passwords_line
from app.services.errors import ChangedMeanwhile, PracticeError
from app.ui.integrations.channel_box import ChannelBox
from app.ui.notifications_page import message_label
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.ui.integrations.tab import IntegrationsTab


def source_sentence(found: mail_discovery.Found) -> str:
    """Where the settings came from, in words: the person checks a guess."""
    if found.source == "domain":
        return _("Found in your domain's settings ({where}).").format(
            where=urlsplit(found.where).hostname or found.where)
    if found.source == "srv":
        return _("Found in your domain's settings (its DNS records).")
    if found.source == "ispdb" and found.provider:
        return _("Found in Mozilla's database of providers: {provider}.").format(
            provider=found.provider)
    if found.source == "ispdb":
        return _("Found in Mozilla's database of providers.")
    if found.source == "mx":
        return _("Found in Mozilla's database of providers, for the provider that receives "
                 "your domain's mail: {provider}.").format(
            provider=found.provider or urlsplit(found.where).path.rsplit("/", 1)[-1])
    return _("Guessed from common server names ({names}) — check them.").format(
        names=found.where)


class EmailBox(ChannelBox):
    # Where Find settings looks; None: the real sources. Tests point it at loopback.
    sources: mail_discovery.Sources | None = None

    def __init__(self, tab: IntegrationsTab) -> None:
        security = ComboBox()
        for value, name in (("starttls", "STARTTLS"), ("ssl", "SSL/TLS"),
                            ("none", _("None (local tests only)"))):
            security.addItem(name, value)
        super().__init__(tab, _("E-mail (SMTP)"), Channel.EMAIL, [
            ("smtp.host", _("Server"), QLineEdit()), ("smtp.port", _("Port"), QLineEdit()),
            ("smtp.security", _("Security"), security), ("smtp.user", _("User"), QLineEdit()),
            ("smtp.from_name", _("Sender name"), QLineEdit())],
            (_("Password"), "smtp.password"), "")
        self.test_to.hide()
        self.test_button.setText(_("Test"))
        self.test_button.setToolTip(_("Sends a message to the practice's own address and, "
                                      "with the mailbox set, looks for it there."))
        form = self.layout()
        assert isinstance(form, QFormLayout)
        self.address = QLineEdit()  # smtp.from: the practice's address, the sender
        self.address.setPlaceholderText(_("e.g. contato@clinica.com.br"))
        self.find_button = QPushButton(_("Find settings"))
        self.find_button.clicked.connect(self.find)
        self.address.returnPressed.connect(self.find)
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.find_button)
        form.insertRow(0, _("E-mail address"), row)
        self.found = message_label("muted")
        form.insertRow(1, self.found)
        self.password_hint = message_label("muted")
        self.password_hint.setText(app_passwords_line())
        form.insertRow(form.getWidgetPosition(self.secret)[0] + 1, self.password_hint)

    # -- the form

    def load(self, cfg: dict[str, str], stored: bool | None) -> None:
        super().load(cfg, stored)
        self.address.setText(cfg["smtp.from"])

    def values(self) -> dict[str, str]:
        return {**super().values(), "smtp.from": self.address.text()}

    def _field(self, box: ChannelBox, key: str) -> Any:
        return next(widget for k, _label, widget in box.fields if k == key)

    def _set(self, box: ChannelBox, key: str, value: str) -> None:
        widget = self._field(box, key)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(0, widget.findData(value)))
        else:
            widget.setText(value)

    # -- Find settings

    def find(self) -> None:
        address, sources = self.address.text(), self.sources
        if self.find_button.hasFocus():  # disabled, it would hand focus to another box
            self.address.setFocus()
        self.find_button.setEnabled(False)
        self.found.setText(_("Looking for the settings of {address}…").format(
            address=address.strip()))

        def failed(exc: Exception) -> None:
            self.find_button.setEnabled(True)
            self.found.setText("⚠ " + str(exc))
            if not isinstance(exc, PracticeError):
                self.tab.window_.show_error(exc)

        self.tab.window_.tasks.run(lambda: mail_discovery.discover(address, sources),
                                   self._fill, failed)

    def _fill(self, found: mail_discovery.Found) -> None:
        self.find_button.setEnabled(True)
        self.address.setText(found.address)
        smtp = found.smtp
        for key, value in (("smtp.host", smtp.host), ("smtp.port", str(smtp.port)),
                           ("smtp.security", smtp.security), ("smtp.user", smtp.user)):
            self._set(self, key, value)
        said = [source_sentence(found)]
        mailbox = self.tab.mailbox
        if found.imap is not None:
            imap = found.imap
            for key, value in (("imap.host", imap.host), ("imap.port", str(imap.port)),
                               ("imap.security", imap.security), ("imap.user", imap.user)):
                self._set(mailbox, key, value)
            said.append(_("The mailbox for clients' replies is filled in too."))
        else:
            said.append(_("No mailbox (IMAP) was found: fill in the box below for clients' "
                          "replies to reach Conecta."))
        said.append(_("Check the fields, type the password and press Test."))
        self.found.setText(" ".join(said))
        self.password_hint.setText(app_password_hint(found.address, smtp.host) or
                                   app_passwords_line())
        self.secret.setFocus()

    # -- Save and Test

    def _save(self, then: Callable[[], None] | None) -> None:
        """Saves this box and the mailbox's servers filled beside it; the password
        goes to the mailbox too when it is the same account (the same user)."""
        p, password = self.tab.window_.practice, self.secret.text()
        values = self.values()
        mailbox = self.tab.mailbox
        imap_values = mailbox.values() if mailbox.values()["imap.host"].strip() else {}
        same_account = bool(imap_values) and not mailbox.secret.text().strip() and \
            imap_values["imap.user"].strip().casefold() == values["smtp.user"].strip().casefold()

        expected = {**self.expected(values), **mailbox.expected(imap_values)}

        def run() -> None:
            config.set_values(p, {**values, **imap_values}, expected_versions=expected)
            if password.strip():
                secrets.store("smtp.password", password)
                if same_account:
                    secrets.store("imap.password", password)

        self.tab.window_.tasks.run(run, lambda _r: self.saved(then), self._failed)

    def _failed(self, exc: Exception) -> None:
        self.result.setText("⚠ " + str(exc))
        if not isinstance(exc, PracticeError):
            self.tab.window_.show_error(exc)
        elif isinstance(exc, ChangedMeanwhile):
            self.tab.mailbox.forget_edits()
            self.refill()

    def test(self) -> None:
        """Save, send a message to the practice's own address, then (with the
        mailbox set) look for it arriving; each step says what it found."""
        p, tasks = self.tab.window_.practice, self.tab.window_.tasks
        self.result.setText(_("Sending a test message…"))

        def send() -> tuple[mail_check.Sent, bool]:
            sent = mail_check.check_sending(p)
            return sent, mail_check.mailbox_set(config.get_all(p))

        def sent(result: tuple[mail_check.Sent, bool]) -> None:
            message, mailbox = result
            if not mailbox:
                self.result.setText(_("Sent. The server took a test message to {to}; set up "
                                      "the mailbox below to check that it arrives.").format(
                    to=message.to))
                return
            self.result.setText(_("Sent to {to}. Looking for it in the mailbox…").format(
                to=message.to))
            tasks.run(lambda: mail_check.check_arrival(p, message), arrived, self._failed)

        def arrived(found: mail_check.Arrived) -> None:
            seconds = max(1, round(found.seconds))
            self.result.setText(ngettext(
                "E-mail works: the test message was sent and arrived in the mailbox after "
                "{seconds} second.",
                "E-mail works: the test message was sent and arrived in the mailbox after "
                "{seconds} seconds.", seconds).format(seconds=seconds))
            if self.found.text().startswith("⚠"):  # what the search said no longer holds
                self.found.clear()

        self._save(then=lambda: tasks.run(send, sent, self._failed))


class MailboxBox(ChannelBox):
    """The mailbox clients' e-mail replies arrive in (IMAP), read every minute into
    Conecta, with a button to read it now. Find settings in the e-mail box fills it."""

    def __init__(self, tab: IntegrationsTab) -> None:
        security = ComboBox()
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

        def said(report: mail_inbound.MailReport) -> str:
            return _("Read. {n} client replies put in Conecta.").format(n=report.taken)

        def read() -> None:
            self.tab.window_.tasks.run(
                lambda: channel_checks.checked(p, "imap", lambda: mail_inbound.fetch(p), said),
                lambda report: self.result.setText(said(report)),
                lambda exc: self.result.setText("⚠ " + str(exc)))

        self._save(then=read)
