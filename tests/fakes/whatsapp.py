"""A fake of Meta's WhatsApp Cloud API (Graph API v23.0, POST /{phone-id}/messages).

It checks each request against Meta's published spec (tests/fakes/spec.py) and its
own field checks; a request that breaks them fails the test (http.FakeServer). It
enforces the rules that bite in real life, and answers with Meta's success and
error shapes:
- a wrong or missing token: 401, code 190;
- a template not approved in that language: 132001; a wrong parameter count: 132000;
- a parameter that is empty, holds a newline or tab, or more than four consecutive
  spaces: 132018; a template body that grows past 1,024 characters: 132005;
- free text empty or over 4,096 characters: 100;
- free text to a number that has not written in the last 24 hours: 131047;
- a number that is not on WhatsApp: 131026;
- more than `rate_limit` messages per second: 429 with code 130429;
- codes queued in `fail_next` are answered first (e.g. 131000, a temporary error)."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import spec
from tests.fakes.http import ContractViolation, FakeServer


@dataclass
class Sent:
    to: str
    type: str
    template: str | None
    language: str | None
    parameters: list[str]
    button: str | None
    text: str | None
    id: str


@dataclass
class Rules:
    token: str = "EAAG-test-token"
    phone_number_id: str = "109876543210"
    templates: dict[tuple[str, str], int] = field(
        default_factory=lambda: {("lembrete_sessao", "pt_BR"): 3})  # (name, lang) -> params
    not_on_whatsapp: set[str] = field(default_factory=set)
    replied_within_24h: set[str] = field(default_factory=set)
    rate_limit: int = 1000
    fail_next: list[int] = field(default_factory=list)
    delay: float = 0.0  # seconds each answer takes, to widen the window a crash can hit


def check(problems: list[str]) -> None:
    if problems:
        raise ContractViolation("; ".join(problems))


def error(status: int, code: int, message: str, kind: str = "OAuthException") -> tuple[int, Any]:
    return status, {"error": {"message": message, "type": kind, "code": code,
                              "error_subcode": 2494010, "fbtrace_id": "AbCdEfGhIjKlMnOp"}}


class FakeWhatsApp(FakeServer):
    def __init__(self, rules: Rules | None = None, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls)
        spec.warm_up()
        self.rules = rules or Rules()
        self.sent: list[Sent] = []
        self.refused: list[int] = []
        self._window: list[float] = []
        self.arrived = threading.Event()  # set when a request comes in

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        r = self.rules
        self.arrived.set()
        if r.delay:
            time.sleep(r.delay)
        if path != f"/{r.phone_number_id}/messages":
            return error(400, 100, f"Unsupported post request: {path}", "GraphMethodException")
        if headers.get("Authorization") != f"Bearer {r.token}":
            self.refused.append(190)
            return error(401, 190, "Error validating access token: Session has expired.")
        now = time.monotonic()
        self._window = [t for t in self._window if now - t < 1.0]
        if len(self._window) >= r.rate_limit:
            self.refused.append(130429)
            return error(429, 130429, "Rate limit hit", "OAuthException")
        if r.fail_next:
            code = r.fail_next.pop(0)
            self.refused.append(code)
            return error(500 if code == 131000 else 400, code, "Something went wrong")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ContractViolation(f"not JSON: {exc}") from None
        check(spec.whatsapp_message_errors(body) or [])
        check([] if body.get("messaging_product") == "whatsapp" else ["messaging_product"])
        check([] if body.get("recipient_type", "individual") == "individual"
              else ["recipient_type"])
        to = body["to"]
        check([] if re.fullmatch(r"\d{8,15}", to)
              else [f"'to' must be digits in E.164 without '+': {to}"])
        if to in r.not_on_whatsapp:
            self.refused.append(131026)
            return error(400, 131026, "Message Undeliverable.")
        if body["type"] == "template":
            t = body["template"]
            key = (t["name"], t["language"]["code"])
            if key not in r.templates:
                self.refused.append(132001)
                return error(404, 132001, "Template name does not exist in the translation")
            params: list[str] = []
            button = None
            for component in t.get("components", []):
                if component["type"] == "body":
                    check([f"body parameter {p}" for p in component["parameters"]
                           if p.get("type") != "text" or not isinstance(p.get("text"), str)])
                    params = [p["text"] for p in component["parameters"]]
                elif component["type"] == "button":
                    check([] if component.get("sub_type") == "url" and
                          component.get("index") == "0" and
                          len(component.get("parameters", [])) == 1
                          else [f"the template's URL button: {component}"])
                    button = component["parameters"][0]["text"]
            for text in params + ([button] if button is not None else []):
                if not text.strip() or re.search(r"[\n\t]| {5,}", text):
                    self.refused.append(132018)
                    return error(400, 132018, "There was an issue with the parameters in "
                                 "your template. Param text cannot have new-line/tab "
                                 "characters or more than 4 consecutive spaces")
            if sum(len(text) for text in params) > 1024:
                self.refused.append(132005)
                return error(400, 132005, "Translated text too long")
            if len(params) != r.templates[key]:
                self.refused.append(132000)
                return error(400, 132000, "Number of parameters does not match the expected "
                             "number of params")
            sent = Sent(to, "template", t["name"], t["language"]["code"], params, button, None,
                        f"wamid.HBgM{len(self.sent):06d}")
        elif body["type"] == "text":
            if to not in r.replied_within_24h:
                self.refused.append(131047)
                return error(400, 131047, "Re-engagement message")
            text = body["text"]["body"]
            if not text.strip() or len(text) > 4096:
                return error(400, 100, "Invalid parameter: text.body")
            sent = Sent(to, "text", None, None, [], None, text,
                        f"wamid.HBgM{len(self.sent):06d}")
        else:
            return error(400, 100, f"Unsupported type {body['type']}")
        self._window.append(now)
        self.sent.append(sent)
        return 200, {"messaging_product": "whatsapp",
                     "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": sent.id}]}
