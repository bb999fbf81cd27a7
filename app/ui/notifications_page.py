"""Configurações › Notificações para clientes: default reminders, templates, the
confirmation button and a live preview. (Integrações lives in app/ui/integrations/.)"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
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
from app.i18n import _, ngettext
from app.models.enums import Channel
from app.models.outbox import MessageKind
from app.services import (
    config,
    messages,
    push_message,
    settings,
    sms_parts,
    voice_calls,
    whatsapp_templates,
)
from app.services.errors import ChangedMeanwhile, InvalidInput, PracticeError
from app.services.settings import SettingsView
from app.ui.call_settings import CallSettings
from app.ui.channel_words import AGREED_BY_PRACTICE, REMINDER_CHANNELS, channel_label
from app.ui.fit_label import FitLabel
from app.ui.lead_time import LeadTime
from app.ui.plain import escape, verbatim
from app.ui.speech import Speech
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow



def _scroll(inner: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(inner)
    area.setWidgetResizable(True)
    return area


def status_words(status: str) -> str:
    """Why Meta will not send a template now, in a word or two."""
    return {"PAUSED": _("paused by Meta"), "REJECTED": _("rejected by Meta"),
            "DISABLED": _("disabled by Meta"), "DELETED": _("deleted at Meta")}.get(
        status, _("not approved yet"))


def _problem(text: str, channel: Channel, what: str) -> str | None:
    """What Salvar would refuse in a template being typed ("⚠ …"), or None."""
    if not text.strip():
        return None
    try:
        messages.check_template(text, channel, what)
    except InvalidInput as exc:
        return "⚠ " + str(exc)
    return None


def message_label(kind: str) -> QLabel:
    """A wrapping label styled by its kind (muted, error, preview), for what a
    provider or a check answered: shown as text, never as markup."""
    return FitLabel(kind)


class NotificationsTab(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        inner = QWidget()
        form = QFormLayout(inner)
        self.defaults: list[tuple[QComboBox, LeadTime]] = []
        for i in range(3):
            combo = ComboBox()
            combo.addItem(_("None"), "")
            for value in REMINDER_CHANNELS:
                combo.addItem(channel_label(value), value)
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
        # Whom the practice's own words below reach (messages.own_words_for).
        self.language_rule = message_label("muted")
        self.language_rule.setText(_(
            "Your own words go to clients whose messages are in the practice's language; "
            "a client in another language gets the built-in words in theirs. Fields are "
            "written in braces, e.g. {first_name}, {date}, {time}."))
        form.addRow("", self.language_rule)
        form.addRow(_("E-mail subject"), self.subject)
        form.addRow(_("E-mail text"), self.text)
        form.addRow(_("E-mail HTML"), self.html)
        form.addRow(_("SMS text"), self.sms)
        # A reminder call's words (the keypad's line follows them) and a phone
        # notification's: the built-in ones in the placeholder.
        self.voice_text = QPlainTextEdit()
        self.voice_text.setPlaceholderText(voice_calls.default_text(i18n.current_language()))
        self.voice_text.setFixedHeight(60)
        self.listen_button = QPushButton(_("Listen"))
        self.listen_button.setToolTip(_("Says the call's words as the preview shows them, "
                                        "when this computer can speak."))
        self.listen_button.clicked.connect(self.listen)
        voice_row = QHBoxLayout()
        voice_row.addWidget(self.voice_text, 1)
        voice_row.addWidget(self.listen_button, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(_("Reminder call words"), voice_row)
        self.listened = message_label("muted")
        self.listened.hide()
        form.addRow("", self.listened)
        self.push_text = QPlainTextEdit()
        self.push_text.setPlaceholderText(push_message.default_text(MessageKind.REMINDER))
        self.push_text.setFixedHeight(44)
        form.addRow(_("Phone notification text"), self.push_text)
        self.calls = CallSettings(form)
        self.speech = Speech(self)
        self.wa_template = QLineEdit()
        self.wa_template.setPlaceholderText(_("The approved template's name"))
        self.wa_language = QLineEdit()
        self.wa_params = QLineEdit()
        self.wa_params.setToolTip(", ".join(config.TEMPLATE_FIELDS))
        form.addRow(_("WhatsApp template"), self.wa_template)
        # The templates read from Meta (Integrações › WhatsApp): one is chosen, nobody
        # retypes it; one Meta will not send now is shown, greyed, with why.
        self.wa_picker = ComboBox()
        self.wa_picker.setMinimumContentsLength(30)
        self.wa_picker.activated.connect(self._template_picked)
        self.refresh_button = QPushButton(_("Refresh templates"))
        self.refresh_button.clicked.connect(self.refresh_templates)
        picker_row = QHBoxLayout()
        picker_row.addWidget(self.wa_picker, 1)
        picker_row.addWidget(self.refresh_button)
        form.addRow(_("Templates at Meta"), picker_row)
        self.wa_details = message_label("muted")
        form.addRow("", self.wa_details)
        self.choices: list[whatsapp_templates.Choice] = []
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
        for value in AGREED_BY_PRACTICE:
            box = QCheckBox(channel_label(value))
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
        for edit in (self.wa_template, self.wa_params):
            edit.textChanged.connect(self.show_template)
        self.button_whatsapp.toggled.connect(self.show_template)
        for editor in (self.text, self.sms, self.voice_text, self.push_text):
            editor.textChanged.connect(self.update_preview)
        self.voice_text.textChanged.connect(self.listened.hide)  # it said the old words
        self.button_email.toggled.connect(self.update_preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_scroll(inner))
        self.relay_url = ""
        self.spoken = ""  # the call's words as the preview shows them
        self.ui_language = i18n.current_language()
        self.preview_language = i18n.current_language()
        self.practice_name = ""
        self.practice: SettingsView | None = None  # for the preview's facts and language
        self.loaded = False
        self.versions: dict[str, int] = {}  # the configuration keys', as last filled

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        p = self.window_.practice
        self.window_.tasks.run(
            lambda: (config.get_with_versions(p), settings.get(p),
                     whatsapp_templates.choices(p)),
            self._loaded, self.window_.show_error)

    def _loaded(self, result: tuple[tuple[dict[str, str], dict[str, int]], SettingsView,
                                    list[whatsapp_templates.Choice]]) -> None:
        (cfg, self.versions), self.practice, choices = result
        self._fill_picker(choices)
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
        self.voice_text.setPlainText(cfg["template.voice.text"])
        self.push_text.setPlainText(cfg["template.push.text"])
        self.wa_template.setText(cfg["whatsapp.template"])
        self.wa_language.setText(cfg["whatsapp.language"])
        self.wa_params.setText(cfg["whatsapp.params"])
        self.button_email.setChecked(cfg["reminders.confirm_button.email"] == "on")
        self.button_whatsapp.setChecked(cfg["reminders.confirm_button.whatsapp"] == "on")
        self.calls.load(cfg)
        self.relay_url = cfg["relay.url"]
        agreed = cfg["clients.consent"].split(",")
        for value, box in self.consent_default.items():
            box.setChecked(value in agreed)
        self.update_preview()

    # ------------------------------------------------------------ Meta's templates

    def _fill_picker(self, choices: list[whatsapp_templates.Choice]) -> None:
        self.choices = choices
        self.wa_picker.clear()
        self.wa_picker.addItem(_("Choose one of the templates read from Meta…") if choices
                               else _("None read yet: Refresh templates"), "")
        model = self.wa_picker.model()
        assert isinstance(model, QStandardItemModel)
        for c in choices:
            category = whatsapp_templates.category_words(c.category) if c.category else \
                _("typed here")
            parts = [c.name, category, ngettext("{n} parameter", "{n} parameters",
                                                c.parameters).format(n=c.parameters)]
            if c.link_button:
                parts.append(_("confirmation link"))
            parts.append(", ".join(c.languages()) if c.usable else
                         status_words(c.versions[0].status))
            self.wa_picker.addItem(" · ".join(parts), c.name)
            item = model.item(self.wa_picker.count() - 1)
            item.setToolTip(verbatim(c.reason or "\n".join(whatsapp_templates.explain(
                c, self._fields(), self.button_whatsapp.isChecked()))))
            item.setEnabled(c.usable)
        self.show_template()

    def _fields(self) -> list[str]:
        return [f.strip() for f in self.wa_params.text().split(",") if f.strip()]

    def _template_picked(self, index: int) -> None:
        name = self.wa_picker.itemData(index)
        choice = next((c for c in self.choices if c.name == name), None)
        if choice is None or not choice.usable:
            return
        self.wa_template.setText(choice.name)
        self.wa_language.setText(",".join(choice.languages()))
        if len(self._fields()) != choice.parameters:
            # The session's fields in the usual order, as many as the template has.
            usual = ["first_name", "date", "time", "professional", "practice", "service"]
            self.wa_params.setText(",".join(usual[:choice.parameters]))

    def show_template(self) -> None:
        """What the chosen template is: its category, which parameters the app fills
        from the session, whether its button carries the confirmation link, and why
        Meta will not send it now."""
        name = self.wa_template.text().strip()
        choice = next((c for c in self.choices if c.name == name), None)
        index = self.wa_picker.findData(name) if name else 0
        self.wa_picker.setCurrentIndex(max(0, index))
        if not name:
            self.wa_details.clear()
        elif choice is None:
            self.wa_details.setText(_("Not among the templates read from Meta: check its "
                                      "name, or Refresh templates."))
        else:
            self.wa_details.setText("\n".join(whatsapp_templates.explain(
                choice, self._fields(), self.button_whatsapp.isChecked())))

    def refresh_templates(self) -> None:
        """Atualizar: read the account's templates from Meta again."""
        p = self.window_.practice
        self.wa_details.setText(_("Reading the templates from Meta…"))

        def work() -> tuple[str, list[whatsapp_templates.Choice]]:
            said = whatsapp_templates.refreshed_words(whatsapp_templates.refresh(p))
            return said, whatsapp_templates.choices(p)

        def done(result: tuple[str, list[whatsapp_templates.Choice]]) -> None:
            said, choices = result
            self._fill_picker(choices)
            self.window_.say(said)

        def failed(exc: Exception) -> None:
            if isinstance(exc, PracticeError):
                self.wa_details.setText("⚠ " + str(exc))
            else:
                self.window_.show_error(exc)

        self.window_.tasks.run(work, done, failed)

    def values(self) -> dict[str, str]:
        reminders = ",".join(f"{combo.currentData()}:{minutes.value()}"
                             for combo, minutes in self.defaults if combo.currentData())
        return {"reminders.default": reminders, "template.email.subject": self.subject.text(),
                "template.email.text": self.text.toPlainText(),
                "template.email.html": self.html.toPlainText(),
                "template.sms.text": self.sms.toPlainText(),
                "template.voice.text": self.voice_text.toPlainText(),
                "template.push.text": self.push_text.toPlainText(),
                "whatsapp.template": self.wa_template.text(),
                "whatsapp.language": self.wa_language.text(),
                "whatsapp.params": self.wa_params.text(),
                "reminders.confirm_button.email": "on" if self.button_email.isChecked()
                else "off",
                "reminders.confirm_button.whatsapp": "on" if self.button_whatsapp.isChecked()
                else "off",
                "clients.consent": ",".join(v for v, box in self.consent_default.items()
                                            if box.isChecked()),
                **self.calls.values()}

    def update_preview(self) -> None:
        """The reminder as each channel would carry it, with the practice's facts,
        in the language its clients read (unless a client chose another)."""
        w, view = self.window_, self.practice
        self.ui_language = i18n.current_language()  # the preview's headings and notes
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
        sms = messages.sms_text(kind, replace(facts, link=link), messages.render(
            self.sms.toPlainText() or messages.default_text(kind), facts))
        # The messages in the clients' language; what is said about them (headings,
        # sizes, what cannot be filled) in the reader's.
        with i18n.speaking(self.ui_language):
            email_title, call_title, push_title = (_("E-mail"), _("Reminder call"),
                                                   _("Phone notification"))
            counted = sms_parts.parts(sms)
            size = ngettext("{n} character", "{n} characters", counted.characters).format(
                n=counted.characters)
            if counted.parts > 1 or counted.unicode:
                size += " · " + ngettext("sent and billed as {n} SMS",
                                         "sent and billed as {n} SMS",
                                         counted.parts).format(n=counted.parts)
            if counted.unicode:
                size += " · " + _("with accents such as ã or ç an SMS holds {n} "
                                  "characters").format(n=counted.per_part)
            # Words that cannot be filled are never shown as if a client would get
            # them: the preview says what Salvar will refuse.
            call_problem = _problem(self.voice_text.toPlainText(), Channel.VOICE,
                                    _("Reminder call words"))
            push_problem = _problem(self.push_text.toPlainText(), Channel.PUSH,
                                    _("Phone notification text"))
        parts = [f"<b>{escape(email_title)}</b> — {escape(subject)}",
                 escape(mail).replace("\n", "<br>")]
        parts += [f"<b>SMS</b> — {escape(size)}", escape(sms).replace("\n", "<br>")]
        self.spoken = "" if call_problem else self._spoken(facts)
        parts += [f"<b>{escape(call_title)}</b>", escape(call_problem or self.spoken)]
        day = push_message.day_phrase(facts.start, w.practice.clock.now().astimezone(
            facts.start.tzinfo))
        pushed = push_problem or push_message.render(
            self.push_text.toPlainText() or push_message.default_text(kind), facts, day)
        parts += [f"<b>{escape(push_title)}</b> — "
                  f"{escape(self.practice_name or _('Your practice'))}", escape(pushed)]
        if self.wa_template.text():
            fields = facts.fields()
            params = [f"{{{{{i}}}}} = {fields.get(f, f)}" for i, f in
                      enumerate(filter(None, self.wa_params.text().split(",")), start=1)]
            with i18n.speaking(self.ui_language):
                line = _("Template {name}: {fields}").format(
                    name=self.wa_template.text(), fields=", ".join(params) or "—")
                if self.button_whatsapp.isChecked():
                    line += " · " + _("button to the confirmation page")
            parts += ["<b>WhatsApp</b>", escape(line)]
        return "<br>".join(parts)

    def _spoken(self, facts: messages.SessionFacts) -> str:
        """The call's words for `facts`, in the language being previewed."""
        language = i18n.current_language()
        return voice_calls.spoken_text(self.voice_text.toPlainText() or
                                       voice_calls.default_text(language), facts)

    def listen(self) -> None:
        """Ouvir: the call's words spoken by this computer, in the clients' language;
        where it cannot speak, the words are shown instead; words that cannot be
        filled, what is wrong with them."""
        self.listened.show()
        problem = _problem(self.voice_text.toPlainText(), Channel.VOICE,
                           _("Reminder call words"))
        if problem:
            self.listened.setText(problem)
            return
        spoke = self.speech.say(self.spoken, self.preview_language)
        self.listened.setText(_("Speaking…") if spoke else _(
            "This computer cannot speak the words aloud; a client hears: “{words}”").format(
            words=self.spoken))
        self.listened.show()

    def save(self) -> None:
        p, values = self.window_.practice, self.values()
        # The keys as the form was filled: another computer's change since is refused.
        expected = {k: self.versions[k] for k in values if k in self.versions}

        def failed(exc: Exception) -> None:
            self.error.setText(str(exc))
            if isinstance(exc, ChangedMeanwhile):
                self.reload()  # as it is now; nothing of the refused save kept

        def done(_r: Any) -> None:
            self.error.clear()
            self.window_.say(_("Settings saved."))
            self.reload()  # the versions the next save names

        def run() -> None:
            # A template Meta paused, rejected or disabled is refused with why.
            whatsapp_templates.check_choice(p, values["whatsapp.template"],
                                            values["whatsapp.language"])
            config.set_values(p, values, expected_versions=expected)

        self.window_.tasks.run(run, done, failed)
