"""Reminder calls in Integrações: calls go through the SMS box's Twilio account;
here the practice picks the number they come from (one of the account's numbers
that can make calls, read by *Testar*) and the voice that speaks, and *Ligar
para mim* rings the practice's own phone with a reminder as clients hear it
(voice_calls.test_call). The keypad's answer reaches the practice through the
confirmation links' relay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
)

from app.i18n import _, ngettext
from app.services import config, voice_calls
from app.services.channels import twilio_account
from app.services.channels.twilio_account import TwilioAccount
from app.services.errors import ChangedMeanwhile, PracticeError
from app.ui.integrations.sms_box import choice_text, shown_number
from app.ui.notifications_page import message_label
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab

# Twilio's Portuguese (Brazil) voices (Amazon Polly's), as <Say voice="…"> names
# them: https://www.twilio.com/docs/voice/twiml/say/text-speech#available-voices-and-languages
VOICES = (("Polly.Camila", "Camila"), ("Polly.Vitoria", "Vitória"),
          ("Polly.Ricardo", "Ricardo"), ("Polly.Camila-Neural", "Camila (neural)"),
          ("Polly.Thiago-Neural", "Thiago (neural)"))
KEYS = ("voice.from", "voice.voice")


class VoiceBox(QGroupBox):
    def __init__(self, tab: IntegrationsTab) -> None:
        super().__init__(_("Reminder calls (Twilio)"))
        self.tab = tab
        self.versions: dict[str, int] = {}
        self.sms_from = ""
        self.filled: dict[str, str] = {}  # the values as last loaded: others are edits
        self.callers: list[tuple[str, str]] = []  # as Testar found them: (text, number)
        form = QFormLayout(self)
        intro = message_label("muted")
        intro.setText(_("Calls use the Twilio account of the SMS box. The client hears the "
                        "reminder and presses 1 to confirm or 2 to cancel; the answer reaches "
                        "the agenda through the confirmation links' relay."))
        form.addRow(intro)
        self.caller = ComboBox()
        self.caller.setMinimumContentsLength(24)
        self.caller.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.list_button = QPushButton(_("Test"))
        self.list_button.setToolTip(_("Reads the Twilio account's numbers that can make calls. "
                                      "Nothing is saved until you press Save."))
        self.list_button.clicked.connect(self.list_numbers)
        row = QHBoxLayout()
        row.addWidget(self.caller, 1)
        row.addWidget(self.list_button)
        form.addRow(_("Calls come from"), row)
        self.voice = ComboBox()
        for name, shown in VOICES:
            self.voice.addItem(shown, name)
        form.addRow(_("Voice"), self.voice)
        self.save_button = QPushButton(_("Save"))
        self.save_button.clicked.connect(self.save)
        self.test_to = QLineEdit()
        self.test_to.setPlaceholderText(_("Your phone, e.g. (11) 98765-4321"))
        self.call_button = QPushButton(_("Call me"))
        self.call_button.clicked.connect(self.call_me)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_to, 1)
        buttons.addWidget(self.call_button)
        form.addRow(buttons)
        self.result = message_label("muted")
        form.addRow(self.result)

    def load(self, cfg: dict[str, str], versions: dict[str, int]) -> None:
        """The saved choices; one the person changed since the last fill stays (the
        tab reads again after any box's Salvar or test)."""
        shown = self.values() if self.filled else {}
        # Changed since the last fill and not what is saved now (a save of it since).
        edited = {k for k, v in shown.items() if v != self.filled.get(k) and v != cfg[k]}
        self.versions.update({k: versions[k] for k in KEYS
                              if k in versions and k not in edited})
        self.sms_from = cfg["sms.from"]
        self._fill_callers(self.callers, shown["voice.from"] if "voice.from" in edited
                           else cfg["voice.from"])
        chosen = shown["voice.voice"] if "voice.voice" in edited else cfg["voice.voice"]
        if self.voice.findData(chosen) < 0:  # one typed elsewhere (the command line)
            self.voice.addItem(chosen, chosen)
        self.voice.setCurrentIndex(self.voice.findData(chosen))
        self.filled = {k: cfg[k] for k in KEYS}

    def _fill_callers(self, found: list[tuple[str, str]], chosen: str) -> None:
        """The SMS number first (calls come from it unless another is chosen), then
        the account's numbers that can call, as Testar found them."""
        self.caller.clear()
        same = _("The SMS number ({number})").format(number=shown_number(self.sms_from)) \
            if self.sms_from else _("The SMS number (not chosen yet)")
        self.caller.addItem(same, "")
        for text, number in found:
            if number != self.sms_from:
                self.caller.addItem(text, number)
        if chosen and self.caller.findData(chosen) < 0:
            self.caller.addItem(shown_number(chosen), chosen)
        self.caller.setCurrentIndex(max(0, self.caller.findData(chosen)))

    def values(self) -> dict[str, str]:
        return {"voice.from": str(self.caller.currentData() or ""),
                "voice.voice": str(self.voice.currentData())}

    def list_numbers(self) -> None:
        p = self.tab.window_.practice
        self.result.setText(_("Reading the Twilio account…"))
        self.list_button.setEnabled(False)

        def read() -> TwilioAccount:
            cfg = config.get_all(p)
            return twilio_account.check(p, cfg["sms.api_base"], cfg["sms.account_sid"], None)

        def found(account: TwilioAccount) -> None:
            self.list_button.setEnabled(True)
            chosen = str(self.caller.currentData() or "")
            self.callers = [(choice_text(n), n.phone_number) for n in account.callers]
            self._fill_callers(self.callers, chosen)
            self.result.setText(ngettext(
                "{n} number of the account can make calls. Choose the one calls come "
                "from and press Save.",
                "{n} of the account's numbers can make calls. Choose the one calls come "
                "from and press Save.", len(account.callers)).format(
                n=len(account.callers)) if account.callers else
                _("None of the account's numbers can make calls: add a voice-capable number "
                  "in the Twilio Console."))

        def failed(exc: Exception) -> None:
            self.list_button.setEnabled(True)
            self._failed(exc)

        self.tab.window_.tasks.run(read, found, failed)

    def save(self) -> None:
        p, values = self.tab.window_.practice, self.values()
        expected = {k: self.versions[k] for k in values if k in self.versions}

        def run() -> dict[str, int]:
            config.set_values(p, values, expected_versions=expected)
            return config.get_with_versions(p)[1]

        def done(versions: dict[str, int]) -> None:
            self._saved_as(values, versions)
            self.result.setText(_("Saved."))
            self.tab.reload()

        self.tab.window_.tasks.run(run, done, self._failed)

    def _saved_as(self, values: dict[str, str], versions: dict[str, int]) -> None:
        """What was just saved is what the box was filled from, with its versions: a
        second press before the tab is read again names them (not older ones)."""
        self.filled.update(values)
        self.versions.update({k: versions[k] for k in KEYS})

    def call_me(self) -> None:
        """Saves what is chosen, then Twilio calls the number typed."""
        p, values, to = self.tab.window_.practice, self.values(), self.test_to.text()
        expected = {k: self.versions[k] for k in values if k in self.versions}
        self.result.setText(_("Calling…"))

        def run() -> tuple[dict[str, int], str | PracticeError]:
            config.set_values(p, values, expected_versions=expected)
            saved = config.get_with_versions(p)[1]
            try:
                return saved, voice_calls.test_call(p, to)
            except PracticeError as exc:  # the choices are saved all the same
                return saved, exc

        def done(result: tuple[dict[str, int], str | PracticeError]) -> None:
            versions, said = result
            self._saved_as(values, versions)
            if isinstance(said, PracticeError):
                self._failed(said)
            else:
                self.result.setText(said)
            self.tab.reload()

        self.tab.window_.tasks.run(run, done, self._failed)

    def _failed(self, exc: Exception) -> None:
        if not isinstance(exc, PracticeError):
            self.tab.window_.show_error(exc)
            return
        self.result.setText("⚠ " + str(exc))
        if isinstance(exc, ChangedMeanwhile):
            self.tab.reload()
