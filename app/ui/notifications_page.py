"""Configurações › Notificações para clientes (default reminders, templates, the
confirmation button, a live preview) and › Integrações (WhatsApp, e-mail, SMS,
with a test message each). Tokens and passwords go to the system keyring only;
their fields never show what is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import N_, _, ngettext
from app.models.enums import Channel
from app.models.outbox import MessageKind
from app.services import config, mail_inbound, messages, outbox, secrets, settings
from app.services.settings import SettingsView
from app.ui.lead_time import LeadTime
from app.ui.plain import escape, plain

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

CHANNELS = (("", N_("None")), ("whatsapp", "WhatsApp"), ("email", N_("E-mail")), ("sms", "SMS"))


def _scroll(inner: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(inner)
    area.setWidgetResizable(True)
    return area


def message_label(kind: str) -> QLabel:
    """A wrapping label styled by its kind (muted, error, preview), for what a
    provider or a check answered: shown as text, never as markup."""
    label = plain(QLabel())
    label.setObjectName(kind)
    label.setWordWrap(True)
    return label


class NotificationsTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        inner = QWidget()
        form = QFormLayout(inner)
        self.defaults: list[tuple[QComboBox, LeadTime]] = []
        for i in range(3):
            combo = QComboBox()
            for value, name in CHANNELS:
                combo.addItem(_(name), value)
            minutes = LeadTime(24 * 60 if i == 0 else 60)
            row = QHBoxLayout()
            row.addWidget(combo)
            row.addWidget(minutes)
            form.addRow(_("Reminder {n}").format(n=i + 1), row)
            self.defaults.append((combo, minutes))
            combo.currentIndexChanged.connect(self.update_preview)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText(messages.default_subject(MessageKind.REMINDER))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(messages.default_text(MessageKind.REMINDER))
        self.text.setFixedHeight(80)
        self.html = QPlainTextEdit()
        self.html.setPlaceholderText(_("Optional: your own HTML; by default the text above "
                                       "with the confirmation button"))
        self.html.setFixedHeight(60)
        self.sms = QPlainTextEdit()
        self.sms.setPlaceholderText(messages.default_text(MessageKind.REMINDER))
        self.sms.setFixedHeight(60)
        form.addRow(_("E-mail subject"), self.subject)
        form.addRow(_("E-mail text"), self.text)
        form.addRow(_("E-mail HTML"), self.html)
        form.addRow(_("SMS text"), self.sms)
        self.wa_template = QLineEdit()
        self.wa_template.setPlaceholderText(_("The approved template's name"))
        self.wa_language = QLineEdit()
        self.wa_params = QLineEdit()
        self.wa_params.setToolTip(", ".join(config.TEMPLATE_FIELDS))
        form.addRow(_("WhatsApp template"), self.wa_template)
        self.wa_language.setPlaceholderText(_("e.g. pt_BR, en_US"))
        self.wa_language.setToolTip(_("The languages Meta approved the template in, the "
                                      "default first: each client gets theirs when it is "
                                      "listed."))
        form.addRow(_("Template languages"), self.wa_language)
        form.addRow(_("Template fields, in order"), self.wa_params)
        self.button_email = QCheckBox(_("Include the confirmation button in e-mails"))
        self.button_whatsapp = QCheckBox(
            _("Include the confirmation button in WhatsApp (the template's URL button)"))
        form.addRow("", self.button_email)
        form.addRow("", self.button_whatsapp)
        # What a new client is proposed as agreeing to where clients are created.
        consent_row = QHBoxLayout()
        self.consent_default: dict[str, QCheckBox] = {}
        for value, words in (("whatsapp", "WhatsApp"), ("email", _("E-mail")), ("sms", "SMS")):
            box = QCheckBox(words)
            consent_row.addWidget(box)
            self.consent_default[value] = box
        consent_row.addStretch(1)
        form.addRow(_("New clients agree to"), consent_row)
        self.preview = QLabel()
        self.preview.setTextFormat(Qt.TextFormat.RichText)  # its parts escaped
        self.preview.setWordWrap(True)
        self.preview.setObjectName("card")
        self.preview.setStyleSheet("QLabel#card { padding: 10px; }")
        form.addRow(_("Preview"), self.preview)
        self.error = message_label("error")
        form.addRow(self.error)
        self.save_button = QPushButton(_("Save"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        form.addRow("", self.save_button)
        for edit in (self.subject, self.wa_template, self.wa_params):
            edit.textChanged.connect(self.update_preview)
        for editor in (self.text, self.sms):
            editor.textChanged.connect(self.update_preview)
        self.button_email.toggled.connect(self.update_preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_scroll(inner))
        self.relay_url = ""
        self.practice_name = ""
        self.practice: SettingsView | None = None  # for the preview's facts and language
        self.loaded = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        p = self.window_.practice
        self.window_.tasks.run(lambda: (config.get_all(p), settings.get(p)),
                               self._loaded, self.window_.show_error)

    def _loaded(self, result: tuple[dict[str, str], SettingsView]) -> None:
        cfg, self.practice = result
        self.practice_name = self.practice.name
        self.loaded = True
        pairs = config.parse_reminders(cfg["reminders.default"])
        for i, (combo, minutes) in enumerate(self.defaults):
            if i < len(pairs):
                combo.setCurrentIndex(combo.findData(pairs[i][0].value))
                minutes.setValue(pairs[i][1])
            else:
                combo.setCurrentIndex(0)
        self.subject.setText(cfg["template.email.subject"])
        self.text.setPlainText(cfg["template.email.text"])
        self.html.setPlainText(cfg["template.email.html"])
        self.sms.setPlainText(cfg["template.sms.text"])
        self.wa_template.setText(cfg["whatsapp.template"])
        self.wa_language.setText(cfg["whatsapp.language"])
        self.wa_params.setText(cfg["whatsapp.params"])
        self.button_email.setChecked(cfg["reminders.confirm_button.email"] == "on")
        self.button_whatsapp.setChecked(cfg["reminders.confirm_button.whatsapp"] == "on")
        self.relay_url = cfg["relay.url"]
        agreed = cfg["clients.consent"].split(",")
        for value, box in self.consent_default.items():
            box.setChecked(value in agreed)
        self.update_preview()

    def values(self) -> dict[str, str]:
        reminders = ",".join(f"{combo.currentData()}:{minutes.value()}"
                             for combo, minutes in self.defaults if combo.currentData())
        return {"reminders.default": reminders, "template.email.subject": self.subject.text(),
                "template.email.text": self.text.toPlainText(),
                "template.email.html": self.html.toPlainText(),
                "template.sms.text": self.sms.toPlainText(),
                "whatsapp.template": self.wa_template.text(),
                "whatsapp.language": self.wa_language.text(),
                "whatsapp.params": self.wa_params.text(),
                "reminders.confirm_button.email": "on" if self.button_email.isChecked()
                else "off",
                "reminders.confirm_button.whatsapp": "on" if self.button_whatsapp.isChecked()
                else "off",
                "clients.consent": ",".join(v for v, box in self.consent_default.items()
                                            if box.isChecked())}

    def update_preview(self) -> None:
        """The reminder as each channel would carry it, with the practice's facts,
        in the language its clients read (unless a client chose another)."""
        w, view = self.window_, self.practice
        language = messages.client_language("", view.language, view.country) if view else \
            i18n.current_language()
        with i18n.speaking(language):
            self.preview.setText(self._preview(w, view))
        self.preview_language = language

    def _preview(self, w: MainWindow, view: SettingsView | None) -> str:
        staff = w.staff[0].name if w.staff else ""
        facts = messages.sample(self.practice_name or _("Your practice"), staff,
                                ZoneInfo(str(w.zone)), w.practice.clock.now())
        link = self.relay_url + "/c/…" if self.relay_url else \
            _("the session's confirmation page (once the relay is set up)")
        facts = replace(facts, link=link if self.button_email.isChecked() else None,
                        address=view.address if view else "",
                        policy=messages.policy_line(view.cancel_notice_minutes,
                                                    view.cancel_fee_cents, view.currency)
                        if view else "")
        kind = MessageKind.REMINDER
        subject = messages.render(self.subject.text() or messages.default_subject(kind), facts)
        text = messages.render(self.text.toPlainText() or messages.default_text(kind), facts)
        mail = messages.plain_email(kind, facts, text)
        sms = messages.render(self.sms.toPlainText() or messages.default_text(kind), facts)
        parts = [f"<b>{escape(_('E-mail'))}</b> — {escape(subject)}",
                 escape(mail).replace("\n", "<br>")]
        size = ngettext("{n} character", "{n} characters", len(sms)).format(n=len(sms))
        parts += [f"<b>SMS</b> — {escape(size)}", escape(sms).replace("\n", "<br>")]
        if self.wa_template.text():
            fields = facts.fields()
            params = [f"{{{{{i}}}}} = {fields.get(f, f)}" for i, f in
                      enumerate(filter(None, self.wa_params.text().split(",")), start=1)]
            line = _("Template {name}: {fields}").format(
                name=self.wa_template.text(), fields=", ".join(params) or "—")
            if self.button_whatsapp.isChecked():
                line += " · " + _("button to the confirmation page")
            parts += ["<b>WhatsApp</b>", escape(line)]
        return "<br>".join(parts)

    def save(self) -> None:
        p, values = self.window_.practice, self.values()

        def failed(exc: Exception) -> None:
            self.error.setText(str(exc))

        def done(_r: Any) -> None:
            self.error.clear()
            self.window_.say(_("Settings saved."))

        self.window_.tasks.run(lambda: config.set_values(p, values), done, failed)


class ChannelBox(QGroupBox):
    """One integration: its fields, its secret, and a test message."""

    def __init__(self, tab: IntegrationsTab, title: str, channel: Channel,
                 fields: list[tuple[str, str, QWidget]], secret: tuple[str, str],
                 test_placeholder: str) -> None:
        super().__init__(title)
        self.tab, self.channel = tab, channel
        self.fields = fields
        self.secret_name = secret[1]
        form = QFormLayout(self)
        for _key, label, widget in fields:
            form.addRow(label, widget)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(secret[0], self.secret)
        self.save_button = QPushButton(_("Save"))
        self.save_button.clicked.connect(self.save)
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText(test_placeholder)
        self.test_button = QPushButton(_("Send a test message"))
        self.test_button.clicked.connect(self.test)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.test_to, 1)
        row.addWidget(self.test_button)
        form.addRow(row)
        self.result = message_label("muted")
        form.addRow(self.result)

    def load(self, cfg: dict[str, str], stored: bool | None) -> None:
        for key, _label_text, widget in self.fields:
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(cfg[key])))
            elif isinstance(widget, QLineEdit):
                widget.setText(cfg[key])
        self.secret.clear()
        self.secret.setPlaceholderText(
            _("Stored in the system keyring; type to replace") if stored else
            _("Not set") if stored is False else _("The system keyring is not available"))

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, _label_text, widget in self.fields:
            if isinstance(widget, QComboBox):
                out[key] = str(widget.currentData())
            elif isinstance(widget, QLineEdit):
                out[key] = widget.text()
        return out

    def save(self) -> None:
        """Salvar. Connected to clicked(bool): takes nothing, so the bool cannot
        land in a parameter (it once arrived as the callback below)."""
        self._save(then=None)

    def _save(self, then: Callable[[], None] | None) -> None:
        p, values, secret, name = (self.tab.window_.practice, self.values(),
                                   self.secret.text(), self.secret_name)

        def run() -> None:
            config.set_values(p, values)
            if secret.strip():
                secrets.store(name, secret)

        def done(_r: Any) -> None:
            self.secret.clear()
            self.result.setText(_("Saved."))
            self.tab.reload()
            if then is not None:
                then()

        self.tab.window_.tasks.run(run, done, lambda exc: self.result.setText(str(exc)))

    def test(self) -> None:
        """Save what is typed, then send one message and say what the provider said."""
        p, channel, to = self.tab.window_.practice, self.channel, self.test_to.text()
        self.result.setText(_("Sending…"))

        def send() -> None:
            self.tab.window_.tasks.run(
                lambda: outbox.send_test(p, channel, to),
                lambda provider_id: self.result.setText(
                    _("Sent. The provider accepted it (id {id}).").format(id=provider_id)),
                lambda exc: self.result.setText("⚠ " + str(exc)))

        self._save(then=send)


class IntegrationsTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        inner = QWidget()
        col = QVBoxLayout(inner)
        security = QComboBox()
        for value, name in (("starttls", "STARTTLS"), ("ssl", "SSL/TLS"),
                            ("none", _("None (local tests only)"))):
            security.addItem(name, value)
        self.whatsapp = ChannelBox(self, "WhatsApp (Cloud API)", Channel.WHATSAPP, [
            ("whatsapp.phone_number_id", _("Phone number ID"), QLineEdit()),
            ("whatsapp.api_base", _("API address"), QLineEdit())],
            (_("Access token"), "whatsapp.token"), _("Phone for the test, e.g. (11) 98765-4321"))
        self.email = ChannelBox(self, _("E-mail (SMTP)"), Channel.EMAIL, [
            ("smtp.host", _("Server"), QLineEdit()), ("smtp.port", _("Port"), QLineEdit()),
            ("smtp.security", _("Security"), security), ("smtp.user", _("User"), QLineEdit()),
            ("smtp.from", _("Sender address"), QLineEdit()),
            ("smtp.from_name", _("Sender name"), QLineEdit())],
            (_("Password"), "smtp.password"), _("E-mail for the test"))
        self.sms = ChannelBox(self, "SMS (Twilio)", Channel.SMS, [
            ("sms.account_sid", _("Account SID"), QLineEdit()),
            ("sms.from", _("Sending number"), QLineEdit()),
            ("sms.api_base", _("API address"), QLineEdit())],
            (_("Auth token"), "sms.auth_token"), _("Phone for the test, e.g. (11) 98765-4321"))
        self.mailbox = MailboxBox(self)
        for box in (self.whatsapp, self.email, self.mailbox, self.sms):
            col.addWidget(box)
        col.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_scroll(inner))
        self.loaded = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.loaded:  # the keyring is asked only when this page is opened
            self.reload()

    def reload(self) -> None:
        p = self.window_.practice
        self.loaded = True

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
