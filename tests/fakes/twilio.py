"""A fake of Twilio's Messages resource (POST /2010-04-01/Accounts/{Sid}/Messages.json):
Basic auth, form fields To/From/Body, Twilio's JSON answers and error codes
(20003 authentication, 21211 invalid 'To', 21610 unsubscribed recipient)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.http import FakeServer


@dataclass
class Sms:
    to: str
    from_: str
    body: str
    sid: str


@dataclass
class Account:
    sid: str = "AC" + "0" * 31 + "1"
    token: str = "twilio-auth-token"
    numbers: set[str] = field(default_factory=lambda: {"+15005550006"})
    unsubscribed: set[str] = field(default_factory=set)


def error(status: int, code: int, message: str) -> tuple[int, Any]:
    return status, {"code": code, "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio(FakeServer):
    def __init__(self, account: Account | None = None) -> None:
        super().__init__()
        self.account = account or Account()
        self.sent: list[Sms] = []

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        a = self.account
        if path != f"/2010-04-01/Accounts/{a.sid}/Messages.json":
            return error(404, 20404, "The requested resource was not found")
        expected = "Basic " + base64.b64encode(f"{a.sid}:{a.token}".encode()).decode()
        if headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        assert headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not re.fullmatch(r"\+\d{8,15}", to):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender not in a.numbers:
            return error(400, 21606, "The 'From' phone number provided is not a valid, "
                         "SMS-capable inbound phone number for your account.")
        if not body:
            return error(400, 21602, "Message body is required.")
        if to in a.unsubscribed:
            return error(400, 21610, "Attempt to send to unsubscribed recipient")
        sms = Sms(to, sender, body, f"SM{len(self.sent):032d}")
        self.sent.append(sms)
        return 201, {"sid": sms.sid, "account_sid": a.sid, "to": to, "from": sender,
                     "body": body, "status": "queued", "direction": "outbound-api",
                     "num_segments": "1", "price": None, "error_code": None,
                     "date_created": "Sat, 21 Nov 2026 12:00:00 +0000",
                     "uri": f"/2010-04-01/Accounts/{a.sid}/Messages/{sms.sid}.json"}
