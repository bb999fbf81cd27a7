"""A fake of Twilio's Messages resource (POST /2010-04-01/Accounts/{Sid}/Messages.json):
Basic auth, form fields To/From/Body, Twilio's JSON answers and error codes
(20003 authentication, 21211 invalid 'To', 21610 unsubscribed recipient). A form
that breaks Twilio's published spec (tests/fakes/spec.py) fails the test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import requests

from tests.fakes import spec
from tests.fakes.http import ContractViolation, FakeServer


@dataclass
class Sms:
    to: str
    from_: str
    body: str
    sid: str
    status_callback: str | None = None


@dataclass
class Account:
    sid: str = "AC" + "0" * 31 + "1"
    token: str = "9f3c2a7e4b1d8c6f0a5e2b7d4c9f1a3e"  # Twilio's are 32 hex characters
    numbers: set[str] = field(default_factory=lambda: {"+15005550006"})
    unsubscribed: set[str] = field(default_factory=set)


def error(status: int, code: int, message: str) -> tuple[int, Any]:
    return status, {"code": code, "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio(FakeServer):
    def __init__(self, account: Account | None = None, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls)
        spec.warm_up()
        self.account = account or Account()
        self.sent: list[Sms] = []

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        a = self.account
        if path != f"/2010-04-01/Accounts/{a.sid}/Messages.json":
            return error(404, 20404, "The requested resource was not found")
        expected = "Basic " + base64.b64encode(f"{a.sid}:{a.token}".encode()).decode()
        if headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        problems = spec.twilio_message_errors(raw) or []
        if not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            problems.append(f"Content-Type {headers.get('Content-Type')}")
        if problems:
            raise ContractViolation("; ".join(problems))
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not re.fullmatch(r"\+\d{8,15}", to):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender not in a.numbers:
            return error(400, 21606, "The 'From' phone number provided is not a valid, "
                         "SMS-capable inbound phone number for your account.")
        if not body:
            return error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return error(400, 21617, "The concatenated message body exceeds the 1600 "
                         "character limit.")
        if to in a.unsubscribed:
            return error(400, 21610, "Attempt to send to unsubscribed recipient")
        callback = form.get("StatusCallback")
        if callback is not None and not re.fullmatch(r"https?://[^\s]+", callback):
            return error(400, 21609, "Invalid StatusCallback URL")
        sms = Sms(to, sender, body, f"SM{len(self.sent):032d}", callback)
        self.sent.append(sms)
        return 201, {"sid": sms.sid, "account_sid": a.sid, "to": to, "from": sender,
                     "body": body, "status": "queued", "direction": "outbound-api",
                     "num_segments": "1", "price": None, "error_code": None,
                     "date_created": "Sat, 21 Nov 2026 12:00:00 +0000",
                     "uri": f"/2010-04-01/Accounts/{a.sid}/Messages/{sms.sid}.json"}


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """What Twilio puts in X-Twilio-Signature (written from Twilio's security docs,
    independently of the relay's own code)."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def webhook(account: Account, url: str, params: dict[str, str],
            token: str | None = None) -> requests.Response:
    """Twilio calling a webhook: a signed form post."""
    params = {"AccountSid": account.sid, "ApiVersion": "2010-04-01", **params}
    return requests.post(url, data=params, timeout=5, headers={
        "X-Twilio-Signature": signature(token or account.token, url, params)})


def inbound(account: Account, url: str, sid: str, sender: str, to: str, body: str
            ) -> requests.Response:
    return webhook(account, url, {"MessageSid": sid, "SmsSid": sid, "From": sender, "To": to,
                                  "Body": body, "NumMedia": "0", "NumSegments": "1",
                                  "SmsStatus": "received", "FromCountry": "BR"})


def status(account: Account, url: str, sid: str, state: str, error_code: str | None = None
           ) -> requests.Response:
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": state, "SmsStatus": state,
              "To": "+5511987654321", "From": "+15005550006"}
    if error_code:
        params["ErrorCode"] = error_code
    return webhook(account, url, params)
