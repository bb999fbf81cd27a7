"""A fake of Meta's WhatsApp Cloud API (Graph API v23.0, POST /{phone-id}/messages),
and of the reads the app makes to set WhatsApp up: GET /{phone-number-id} (the
number) and GET /{waba-id}/message_templates (the templates, a page at a time with
Meta's cursors; `next` only while another page follows). A read checks the token
(in the Authorization header, never in the URL, where it would be logged) and
each field asked for; it answers Meta's errors: 190 for a wrong token, 100 with
subcode 33 for an id this token cannot see, `denied` (10 or 200) for a missing
permission, 80008 while `throttled`, 100 for a field the object does not have.

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

import base64
import json
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    # The number and its account, as GET /{phone-number-id} and the templates read them.
    business_account_id: str = "102290129340398"
    display_phone_number: str = "+55 11 3000-1000"
    verified_name: str = "Clínica Aurora"
    quality_rating: str = "GREEN"
    meta_templates: list[dict[str, Any]] = field(default_factory=lambda: [
        meta_template("lembrete_sessao", "pt_BR", "Olá {{1}}! Lembrete da sua sessão em "
                      "{{2}} às {{3}}.", url="https://relay.example/c/{{1}}"),
        meta_template("lembrete_sessao", "en_US", "Hi {{1}}! A reminder of your session on "
                      "{{2}} at {{3}}.", url="https://relay.example/c/{{1}}")])
    page_limit: int = 25  # the most templates on one page, whatever `limit` asks
    denied: int | None = None  # 10 or 200: the token lacks a permission for reads
    throttled: bool = False  # 80008: too many calls to the account


NUMBER_FIELDS = {"id", "display_phone_number", "verified_name", "quality_rating",
                 "name_status", "code_verification_status", "status", "platform_type",
                 "messaging_limit_tier", "throughput", "account_mode"}
TEMPLATE_FIELDS = {"id", "name", "language", "category", "status", "components",
                   "previous_category", "rejected_reason", "quality_score",
                   "parameter_format", "sub_category"}
_ids = iter(range(1_000_000_000_000_000, 2_000_000_000_000_000, 7919))


def meta_template(name: str, language: str, body: str, *, category: str = "UTILITY",
                  status: str = "APPROVED", url: str | None = None,
                  quick_replies: tuple[str, ...] = ()) -> dict[str, Any]:
    """One template as Meta lists it (message_templates' data items)."""
    components: list[dict[str, Any]] = [{"type": "BODY", "text": body}]
    buttons: list[dict[str, Any]] = [{"type": "QUICK_REPLY", "text": t} for t in quick_replies]
    if url is not None:
        buttons.append({"type": "URL", "text": "Confirmar", "url": url})
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {"id": str(next(_ids)), "name": name, "language": language, "category": category,
            "status": status, "components": components}


def check(problems: list[str]) -> None:
    if problems:
        raise ContractViolation("; ".join(problems))


def error(status: int, code: int, message: str, kind: str = "OAuthException",
          subcode: int = 2494010) -> tuple[int, Any]:
    return status, {"error": {"message": message, "type": kind, "code": code,
                              "error_subcode": subcode, "fbtrace_id": "AbCdEfGhIjKlMnOp"}}


class FakeWhatsApp(FakeServer):
    def __init__(self, rules: Rules | None = None, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls)
        spec.warm_up()
        self.rules = rules or Rules()
        self.sent: list[Sent] = []
        self.refused: list[int] = []
        self._window: list[float] = []
        self.arrived = threading.Event()  # set when a request comes in
        self.reads: list[str] = []  # the paths of GETs, in order
        self.pages_served = 0  # pages of message_templates answered

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

    # ------------------------------------------------------------ reads

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        r = self.rules
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        check([] if "access_token" not in query
              else ["the access token went in the URL, where proxies and logs keep it"])
        self.reads.append(parts.path)
        if headers.get("Authorization") != f"Bearer {r.token}":
            return error(401, 190, "Invalid OAuth access token - Cannot parse access token",
                         subcode=463)
        if r.denied:
            return error(403, r.denied, f"(#{r.denied}) Application does not have permission "
                         "for this action", subcode=0)
        if r.throttled:
            return error(400, 80008, "(#80008) There have been too many calls to this "
                         "WhatsApp Business account. Wait a bit and try again.", subcode=0)
        node = parts.path.strip("/").split("/")
        if node == [r.phone_number_id]:
            return self._number(query)
        if node == [r.business_account_id, "message_templates"]:
            return self._templates(query)
        return error(400, 100, f"Unsupported get request. Object with ID '{node[0]}' does not "
                     "exist, cannot be loaded due to missing permissions, or does not support "
                     "this operation. Please read the Graph API documentation at "
                     "https://developers.facebook.com/docs/graph-api", "GraphMethodException",
                     subcode=33)

    def _fields(self, query: dict[str, str], known: set[str], node: str) -> list[str]:
        asked = [f for f in query.get("fields", "").split(",") if f]
        check([] if asked else ["no fields asked for: Meta would answer its defaults only"])
        unknown = [f for f in asked if f not in known]
        if unknown:
            raise _Refusal(error(400, 100, f"(#100) Tried accessing nonexisting field "
                                 f"({unknown[0]}) on node type ({node})", subcode=0))
        return asked

    def _number(self, query: dict[str, str]) -> tuple[int, Any]:
        r = self.rules
        try:
            asked = self._fields(query, NUMBER_FIELDS, "WhatsAppBusinessPhoneNumber")
        except _Refusal as refusal:
            return refusal.answer
        known = {"id": r.phone_number_id, "display_phone_number": r.display_phone_number,
                 "verified_name": r.verified_name, "quality_rating": r.quality_rating}
        return 200, {"id": r.phone_number_id,
                     **{f: known[f] for f in asked if f in known}}

    def _templates(self, query: dict[str, str]) -> tuple[int, Any]:
        r = self.rules
        try:
            asked = self._fields(query, TEMPLATE_FIELDS, "WhatsAppBusinessAccount")
        except _Refusal as refusal:
            return refusal.answer
        check([] if query.get("limit", "25").isdigit() else [f"limit: {query['limit']!r}"])
        size = min(int(query.get("limit", "25")), r.page_limit)
        start = 0
        if "after" in query:
            try:
                start = int(base64.b64decode(query["after"]).decode())
            except ValueError:
                return error(400, 100, "(#100) Invalid cursor", subcode=0)
        page = r.meta_templates[start:start + size]
        data = [{"id": t["id"], **{f: t[f] for f in asked if f in t}} for t in page]
        end = start + len(page)
        paging: dict[str, Any] = {"cursors": {
            "before": base64.b64encode(str(start).encode()).decode(),
            "after": base64.b64encode(str(end).encode()).decode()}}
        if end < len(r.meta_templates):
            paging["next"] = (f"{self.url}/{r.business_account_id}/message_templates?"
                              f"limit={size}&after={paging['cursors']['after']}")
        self.pages_served += 1
        return 200, {"data": data, "paging": paging}


class _Refusal(Exception):
    def __init__(self, answer: tuple[int, Any]) -> None:
        self.answer = answer
