"""SMS (Twilio) in Integrações: the Account SID and auth token, each with where the
Twilio Console shows it; Testar reads the account and its numbers
(app.services.channels.twilio_account) and the practice picks the sending number
among those that can send SMS; the API address waits under Avançado. Salvar keeps
the choice in sms.from; the token goes to the keyring only and is never shown.
With a relay paired, Salvar then gives the relay the account (relay_twilio), and
the result line says what came of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.i18n import _
from app.models.enums import Channel
from app.services import relay_twilio
from app.services.channels import twilio_account
from app.services.channels.twilio_account import AccountCheckFailed, TwilioAccount, TwilioNumber
from app.services.errors import PracticeError
from app.services.practice import Practice
from app.services.values import format_phone
from app.ui.fit_label import FitLabel
from app.ui.integrations.advanced import AdvancedToggle
from app.ui.integrations.channel_box import ChannelBox
from app.ui.wheel_guard import ComboBox

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


def shown_number(number: str) -> str:
    """A sender's E.164 number as people read it (+1 500-555-0006), whatever the
    practice's country: Twilio numbers are often another country's."""
    return format_phone(number, "")


def choice_text(number: TwilioNumber) -> str:
    """A number in the list: the number, and the name the practice gave it in Twilio
    when it is more than the number written another way."""
    name = number.friendly_name.strip()
    if not name or not any(c.isalpha() for c in name):
        return shown_number(number.phone_number)
    return f"{shown_number(number.phone_number)} · {name}"


def _restyle(label: QLabel, kind: str) -> None:
    """A message label's kind (muted, error, warning), its style updated."""
    label.setObjectName(kind)
    label.style().unpolish(label)
    label.style().polish(label)


def share_after_save(p: Practice) -> str:
    """After Salvar, with a relay paired: the relay is given the Twilio account
    (relay_twilio), so clients' key presses on calls and SMS replies reach the
    practice. A sentence for the result line; a failure is said (⚠) and the save
    stays done. Runs off the GUI thread."""
    try:
        return relay_twilio.share_if_ready(p) or ""
    except PracticeError as exc:
        return "⚠ " + str(exc)


class SmsBox(ChannelBox):
    def __init__(self, tab: IntegrationsTab) -> None:
        sid = QLineEdit()
        super().__init__(tab, "SMS (Twilio)", Channel.SMS, [
            ("sms.account_sid", _("Account SID"), sid)],
            (_("Auth token"), "sms.auth_token"), _("Phone for the test, e.g. (11) 98765-4321"))
        self.sid = sid
        self.sid.setPlaceholderText("AC…")
        form = self.layout()
        assert isinstance(form, QFormLayout)
        self._form = form
        # ChannelBox's rows: 0 the SID, 1 the token, 2 Salvar and the test message, 3
        # what came of it. Each row below goes in before Salvar; a help line sits
        # under its field.
        self.sid_help = self._under(self.sid, _(
            "In the Twilio Console, on the home page under Account Info. It starts with AC."))
        self.token_help = self._under(self.secret, _(
            "Beside the Account SID, under Account Info: press Show and copy it. It is kept "
            "in the system keyring and never shown again."))

        self.check_button = QPushButton(_("Test"))
        self.check_button.setObjectName("primary")
        self.check_button.setToolTip(_("Reads the Twilio account and the numbers it can send "
                                       "SMS from. Nothing is saved until you press Save."))
        self.check_button.clicked.connect(self.check_account)
        self.found = FitLabel("found")
        self.note = FitLabel("warning")
        self.note.setContentsMargins(0, 0, 0, 6)  # apart from the number's row below
        self.note.hide()
        said = QVBoxLayout()
        said.setContentsMargins(0, 4, 0, 0)  # the first line level with the button's text
        said.setSpacing(3)
        said.addWidget(self.found)
        said.addWidget(self.note)
        said.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(said, 1)
        form.insertRow(2, "", row)

        self.sender = ComboBox()
        self.sender.setPlaceholderText(_("Press Test to list the account's numbers"))
        self.sender.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.sender.setMinimumContentsLength(24)
        form.insertRow(3, _("Sending number"), self.sender)
        self.sender_help = self._under(self.sender, _(
            "The number clients see your SMS come from: one of the account's numbers that can "
            "send SMS."))

        self.api_base = QLineEdit()
        self.api_base.setPlaceholderText("https://api.twilio.com")
        self.fields.append(("sms.api_base", _("API address"), self.api_base))
        form.insertRow(4, _("API address"), self.api_base)
        self.advanced = AdvancedToggle(form, self.api_base)
        form.insertRow(4, "", self.advanced)
        self.saved_from = ""
        self.after_save = share_after_save

    def _under(self, field: QWidget, text: str) -> QLabel:
        """A help line under `field` (a row of the form), in the field's column."""
        row, _role = self._form.getWidgetPosition(field)
        taken = self._form.takeRow(row)
        label = taken.labelItem.widget() if taken.labelItem is not None else None
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(2)
        column.addWidget(field)
        line = FitLabel("muted")
        line.setText(text)
        column.addWidget(line)
        column.addStretch(1)  # Qt may give a wrapping line more height than it needs
        if label is not None:
            self._form.insertRow(row, label, cell)
        else:
            self._form.insertRow(row, cell)
        return line

    def load(self, cfg: dict[str, str], stored: bool | None) -> None:
        # A number picked since the last fill and not saved is being chosen: the tab
        # read again (another box's Salvar or test) must not take it back.
        picked = str(self.sender.currentData() or "") if self.sender.currentIndex() >= 0 \
            else ""
        edited = bool(picked) and picked != self.saved_from
        super().load(cfg, stored)
        self.saved_from = cfg["sms.from"]
        if self.saved_from and self.sender.findData(self.saved_from) < 0:
            self.sender.addItem(shown_number(self.saved_from), self.saved_from)
        if not edited:
            self.sender.setCurrentIndex(self.sender.findData(self.saved_from))
        if cfg["sms.api_base"] != "https://api.twilio.com":
            self.advanced.setChecked(True)  # a changed address is never out of sight

    def values(self) -> dict[str, str]:
        """The fields, and the number chosen; none chosen keeps the saved one."""
        out = super().values()
        chosen = self.sender.currentData()
        out["sms.from"] = str(chosen) if self.sender.currentIndex() >= 0 and chosen else \
            self.saved_from
        return out

    def check_account(self) -> None:
        """Testar: reads the account and its numbers with what is typed (an empty token:
        the one in the keyring), off the GUI thread. Saves nothing."""
        p = self.tab.window_.practice
        base, sid, token = self.api_base.text(), self.sid.text(), self.secret.text()
        _restyle(self.found, "muted")
        self.found.setText(_("Reading the Twilio account…"))
        self.note.hide()
        if self.check_button.hasFocus():  # disabled, it would hand focus to another box
            self.sid.setFocus()
        self.check_button.setEnabled(False)
        self.tab.window_.tasks.run(lambda: twilio_account.check(p, base, sid, token),
                                   self._found, self._not_found)

    def _found(self, account: TwilioAccount) -> None:
        """The account said, its SMS numbers offered: the saved one chosen if it is
        among them, the only one if there is one; otherwise the practice picks."""
        self.check_button.setEnabled(True)
        current = str(self.sender.currentData() or self.saved_from)
        self.sender.clear()
        self.sender.setPlaceholderText(_("Choose the number to send from"))
        for number in account.senders:
            self.sender.addItem(choice_text(number), number.phone_number)
        index = self.sender.findData(current) if current else -1
        lost = bool(current) and index < 0
        if index < 0 and len(account.senders) == 1:
            index = 0
        self.sender.setCurrentIndex(index)
        said = twilio_account.describe(account, with_trial=False)
        if lost:
            said += " " + _("The saved sending number {number} is not one of them: choose one "
                            "and press Save.").format(number=shown_number(current))
        elif index < 0:
            said += " " + _("Choose the sending number, then press Save.")
            self.sender.setFocus()
        elif self.sender.currentData() != self.saved_from:
            said += " " + _("Press Save to keep it.")
        _restyle(self.found, "warning" if lost else "found")
        self.found.setText(said)
        self.note.setText(twilio_account.trial_limit() if account.trial else "")
        self.note.setVisible(account.trial)

    def _not_found(self, exc: Exception) -> None:
        self.check_button.setEnabled(True)
        _restyle(self.found, "error")
        self.found.setText("⚠ " + str(exc))
        field = exc.field if isinstance(exc, AccountCheckFailed) else None
        if field == "sms.api_base":
            self.advanced.setChecked(True)
        target: dict[str | None, QWidget] = {
            "sms.account_sid": self.sid, "sms.auth_token": self.secret,
            "sms.api_base": self.api_base, "sms.from": self.sender}
        if field in target:
            target[field].setFocus()
