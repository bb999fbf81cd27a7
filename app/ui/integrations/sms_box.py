"""SMS (Twilio) in Integrações."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLineEdit

from app.i18n import _
from app.models.enums import Channel
from app.ui.integrations.channel_box import ChannelBox

if TYPE_CHECKING:
    from app.ui.integrations.tab import IntegrationsTab


class SmsBox(ChannelBox):
    def __init__(self, tab: IntegrationsTab) -> None:
        super().__init__(tab, "SMS (Twilio)", Channel.SMS, [
            ("sms.account_sid", _("Account SID"), QLineEdit()),
            ("sms.from", _("Sending number"), QLineEdit()),
            ("sms.api_base", _("API address"), QLineEdit())],
            (_("Auth token"), "sms.auth_token"), _("Phone for the test, e.g. (11) 98765-4321"))
