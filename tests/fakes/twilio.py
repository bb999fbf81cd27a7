"""A fake of Twilio's REST API 2010-04-01, answering in Twilio's shapes:
- POST /Accounts/{Sid}/Messages.json: Basic auth, form fields To/From/Body, Twilio's
  JSON answers and error codes (20003 authentication, 21211 invalid 'To', 21606 a
  'From' that is not an SMS-capable number of the account, 21610 unsubscribed);
- POST /Accounts/{Sid}/Calls.json: a call, its form checked against the spec's
  CreateCall, its inline TwiML parsed (valid XML, a <Gather> whose action is the
  relay's signed keypad address, the day and time said); 21211 / 21217 for a
  'To' that is not a number, 21210 for a 'From' not the account's, 21215 for a
  country the account may not call; POST /Accounts/{Sid}/Calls/{CallSid}.json
  gives a call in progress new TwiML (21220 once it is over). `answer`,
  `ring_out` and `machine` then play the call: Twilio's status callbacks and the
  keypad posted, signed, to the real relay, following the TwiML it answers
  (https://www.twilio.com/docs/voice/api/call-resource,
  https://www.twilio.com/docs/voice/twiml/gather);
- GET /Accounts/{Sid}.json: the account (friendly_name, status, type);
- GET /Accounts/{Sid}/IncomingPhoneNumbers.json: its numbers, `page_size` a page,
  the next page named by next_page_uri (with a PageToken, as Twilio does).
Every request is checked against Twilio's published spec (tests/fakes/spec.py): a
request off it fails the test. Basic auth is checked before the path's SID (401
20003), then the SID must be the authenticated account's (404 20404), as Twilio
answers. Sources: https://www.twilio.com/docs/iam/api/account,
https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource,
https://www.twilio.com/docs/usage/twilios-response (paging, error bodies)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
class Call:
    to: str
    from_: str
    twiml: str
    sid: str
    status_callback: str | None = None
    events: list[str] = field(default_factory=list)  # StatusCallbackEvent
    machine_detection: str | None = None
    amd_callback: str | None = None
    updates: list[str] = field(default_factory=list)  # TwiML given while in progress
    over: bool = False

    def said(self) -> list[str]:
        """The words of every <Say> of the TwiML it was placed with."""
        return [e.text or "" for e in ET.fromstring(self.twiml).iter("Say")]

    def action(self) -> str:
        """Its <Gather>'s action: where the keypad goes."""
        gather = ET.fromstring(self.twiml).find("Gather")
        assert gather is not None, "a reminder call listens for a key"
        return gather.attrib["action"]


@dataclass
class Phone:
    """One of the account's numbers (an IncomingPhoneNumber)."""

    phone_number: str  # E.164
    friendly_name: str = ""  # Twilio's default: the number formatted, e.g. "(500) 555-0006"
    sms: bool = True
    voice: bool = True
    mms: bool = False


@dataclass
class Account:
    sid: str = "AC" + "0" * 31 + "1"
    token: str = "9f3c2a7e4b1d8c6f0a5e2b7d4c9f1a3e"  # Twilio's are 32 hex characters
    numbers: list[Phone] = field(default_factory=lambda: [
        Phone("+15005550006", "(500) 555-0006")])
    unsubscribed: set[str] = field(default_factory=set)
    no_calls_to: tuple[str, ...] = ()  # country prefixes its voice geo permissions refuse
    friendly_name: str = "Clínica Aurora"
    status: str = "active"  # active, suspended, closed
    type: str = "Full"  # Full, or Trial (sends only to verified numbers)

    def sends_sms_from(self, number: str) -> bool:
        return any(n.phone_number == number and n.sms for n in self.numbers)


def error(status: int, code: int, message: str) -> tuple[int, Any]:
    return status, {"code": code, "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio(FakeServer):
    def __init__(self, account: Account | None = None, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls)
        spec.warm_up()
        self.account = account or Account()
        self.sent: list[Sms] = []
        self.calls: list[Call] = []
        self.reads: list[str] = []  # what GETs were answered: "account", "numbers page N"
        self.page_size = 50  # Twilio's default PageSize

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        a = self.account
        if path.startswith(f"/2010-04-01/Accounts/{a.sid}/Calls"):
            return self.handle_call(path, headers, raw)
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
        if not a.sends_sms_from(sender):
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


    CALLS = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
    CALL = "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"

    def handle_call(self, path: str, headers: dict[str, str], raw: bytes
                    ) -> tuple[int, Any]:
        a = self.account
        expected = "Basic " + base64.b64encode(f"{a.sid}:{a.token}".encode()).decode()
        if headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        found = re.fullmatch(rf"/2010-04-01/Accounts/{a.sid}/Calls(?:/(CA[0-9a-f]{{32}}))?\.json",
                             path)
        if found is None:
            return error(404, 20404, "The requested resource was not found")
        update = found[1] is not None
        problems = spec.twilio_form_errors(self.CALL if update else self.CALLS, raw,
                                           "Update Call" if update else "Create Call") or []
        if not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            problems.append(f"Content-Type {headers.get('Content-Type')}")
        form = parse_qs(raw.decode(), keep_blank_values=True)
        twiml = form.get("Twiml", [""])[0]
        if len(twiml) > 4000:
            problems.append(f"Twiml: {len(twiml)} characters, at most 4000")
        try:
            root = ET.fromstring(twiml)
            if root.tag != "Response":
                problems.append(f"Twiml: the root is <{root.tag}>, not <Response>")
        except ET.ParseError as exc:
            problems.append(f"Twiml: not XML ({exc})")
        for url in form.get("StatusCallback", []) + form.get("AsyncAmdStatusCallback", []):
            if not re.fullmatch(r"https?://[^\s]+", url):
                problems.append(f"{url!r}: not a URL")
        if problems:
            raise ContractViolation("; ".join(problems))
        if update:
            call = next((c for c in self.calls if c.sid == found[1]), None)
            if call is None:
                return error(404, 20404, "The requested resource was not found")
            if call.over:
                return error(400, 21220, "Call is not in-progress. Cannot redirect.")
            call.updates.append(twiml)
            return 200, self.call_answer(call, "in-progress")
        to, sender = form["To"][0], form["From"][0]
        if not re.fullmatch(r"\+\d{8,15}", to):
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not any(n.phone_number == sender and n.voice for n in a.numbers):
            return error(400, 21210, "The source phone number provided, " + sender +
                         ", is not yet verified for your account.")
        if to.startswith(a.no_calls_to):
            return error(400, 21215, "Account not authorized to call " + to + ". Perhaps "
                         "you need to enable some international permissions.")
        call = Call(to, sender, twiml, f"CA{len(self.calls) + 1:032x}",
                    form.get("StatusCallback", [None])[0], form.get("StatusCallbackEvent", []),
                    form.get("MachineDetection", [None])[0],
                    form.get("AsyncAmdStatusCallback", [None])[0])
        self.calls.append(call)
        return 201, self.call_answer(call, "queued")

    def call_answer(self, call: Call, status: str) -> dict[str, Any]:
        a = self.account
        return {"sid": call.sid, "account_sid": a.sid, "to": call.to, "from": call.from_,
                "status": status, "direction": "outbound-api", "api_version": "2010-04-01",
                "answered_by": None, "caller_name": None, "duration": None, "price": None,
                "date_created": "Sat, 21 Nov 2026 12:00:00 +0000",
                "uri": f"/2010-04-01/Accounts/{a.sid}/Calls/{call.sid}.json"}

    # ------------------------------------------------------------ playing a call

    def _progress(self, call: Call, status: str, **extra: str) -> None:
        """A status callback, as Twilio posts it for the events asked for."""
        event = {"in-progress": "answered"}.get(status, status)
        final = status in ("completed", "busy", "no-answer", "failed", "canceled")
        if call.status_callback and (event in call.events or final):
            r = webhook(self.account, call.status_callback, {
                "CallSid": call.sid, "CallStatus": status, "To": call.to, "From": call.from_,
                "Direction": "outbound-api", "CallbackSource": "call-progress-events",
                "SequenceNumber": "0", **extra})
            assert r.status_code == 200, r.text
        if final:
            call.over = True

    def follow(self, call: Call, twiml: str, presses: list[str | None]) -> list[str]:
        """Plays TwiML as Twilio does: <Say> heard, <Gather> takes the next key of
        `presses` (None: nothing pressed, the Gather falls through), its action and
        <Redirect> are posted to (signed) and their TwiML followed, <Hangup> ends.
        Returns the words heard, in order."""
        heard: list[str] = []
        document: str | None = twiml
        while document is not None:
            root = ET.fromstring(document)
            assert root.tag == "Response", document
            document = None
            for verb in root:
                if verb.tag == "Say":
                    assert verb.attrib.get("language") in ("pt-BR", "en-US"), verb.attrib
                    heard.append(verb.text or "")
                elif verb.tag == "Hangup":
                    return heard
                elif verb.tag == "Gather":
                    assert (verb.attrib["numDigits"], verb.attrib["method"]) == ("1", "POST")
                    heard += [e.text or "" for e in verb.iter("Say")]
                    key = presses.pop(0) if presses else None
                    if key is None:
                        continue  # the timeout: on to the next verb
                    document = self._post(call, verb.attrib["action"], {"Digits": key,
                                                                         "FinishedOnKey": ""})
                    break
                elif verb.tag == "Redirect":
                    document = self._post(call, verb.text or "", {})
                    break
                else:
                    raise AssertionError(f"a verb the fake does not play: {verb.tag}")
        return heard

    def _post(self, call: Call, url: str, extra: dict[str, str]) -> str:
        r = webhook(self.account, url, {"CallSid": call.sid, "CallStatus": "in-progress",
                                        "To": call.to, "From": call.from_,
                                        "Direction": "outbound-api", **extra})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml"), \
            (r.status_code, r.text)
        return r.text

    def answer(self, call: Call, presses: list[str | None]) -> list[str]:
        """A person answers and presses `presses` (None: nothing) at each <Gather>;
        the call ends when the TwiML does. Returns the words heard."""
        self._progress(call, "initiated")
        self._progress(call, "ringing")
        self._progress(call, "in-progress")
        heard = self.follow(call, call.twiml, list(presses))
        self._progress(call, "completed", CallDuration="40")
        return heard

    def ring_out(self, call: Call, status: str = "no-answer") -> None:
        """Nobody takes the call: `no-answer` or `busy` (or `failed`, `canceled`)."""
        self._progress(call, "initiated")
        if status != "failed":
            self._progress(call, "ringing")
        self._progress(call, status)

    def machine(self, call: Call, answered_by: str = "machine_end_beep") -> None:
        """An answering machine takes the call; once its greeting ends, the
        asynchronous detection's result is posted (AnsweredBy, no CallStatus)."""
        self._progress(call, "initiated")
        self._progress(call, "ringing")
        self._progress(call, "in-progress")
        assert call.machine_detection == "DetectMessageEnd" and call.amd_callback
        r = webhook(self.account, call.amd_callback, {
            "CallSid": call.sid, "AnsweredBy": answered_by,
            "MachineDetectionDuration": "4200"})
        assert r.status_code == 200, r.text

    def hang_up(self, call: Call) -> None:
        self._progress(call, "completed", CallDuration="25")

    ACCOUNT = "/2010-04-01/Accounts/{Sid}.json"
    NUMBERS = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        a = self.account
        parts = urlsplit(path)
        query = parse_qs(parts.query, keep_blank_values=True)
        found = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)(\.json|/IncomingPhoneNumbers\.json)",
                             parts.path)
        if found is None:
            return error(404, 20404, f"The requested resource {parts.path} was not found")
        sid, numbers = found[1], found[2] != ".json"
        template = self.NUMBERS if numbers else self.ACCOUNT
        problems = spec.twilio_read_errors(
            template, {"AccountSid" if numbers else "Sid": sid}, query) or []
        if not numbers and query:
            problems.append(f"{sorted(query)}: the account is fetched without a query")
        if problems:
            raise ContractViolation("; ".join(problems))
        expected = "Basic " + base64.b64encode(f"{a.sid}:{a.token}".encode()).decode()
        if headers.get("Authorization") != expected:
            return error(401, 20003, "Authenticate")
        if sid != a.sid:
            return error(404, 20404, f"The requested resource {parts.path} was not found")
        if not numbers:
            self.reads.append("account")
            return 200, self.account_answer()
        self.reads.append(f"numbers page {query.get('Page', ['0'])[0]}")
        return 200, self.numbers_page(query)

    def account_answer(self) -> dict[str, Any]:
        a, base = self.account, f"/2010-04-01/Accounts/{self.account.sid}"
        return {"auth_token": a.token, "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
                "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000",
                "friendly_name": a.friendly_name, "owner_account_sid": a.sid, "sid": a.sid,
                "status": a.status, "type": a.type, "uri": f"{base}.json",
                "subresource_uris": {
                    "incoming_phone_numbers": f"{base}/IncomingPhoneNumbers.json",
                    "messages": f"{base}/Messages.json"}}

    def numbers_page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """One page of the account's numbers. Twilio's paging: Page counts from 0,
        PageToken ("PA" + the last sid of the page before) says where the page
        starts; a Page past 0 without its PageToken is refused by the fake."""
        a = self.account
        size = int(query.get("PageSize", [str(self.page_size)])[0])
        page = int(query.get("Page", ["0"])[0])
        token = query.get("PageToken", [None])[0]
        start = page * size
        if page and token != f"PA{self._number_sid(start - 1)}":
            raise ContractViolation(f"Page {page} asked without the PageToken Twilio gave")
        rows = a.numbers[start:start + size]
        base = f"/2010-04-01/Accounts/{a.sid}/IncomingPhoneNumbers.json"

        def uri(n: int) -> str:
            after = f"&PageToken=PA{self._number_sid(n * size - 1)}" if n else ""
            return f"{base}?PageSize={size}&Page={n}{after}"

        more = start + size < len(a.numbers)
        return {"incoming_phone_numbers": [self._number(start + i, n)
                                           for i, n in enumerate(rows)],
                "first_page_uri": uri(0), "uri": uri(page), "page": page, "page_size": size,
                "next_page_uri": uri(page + 1) if more else None,
                "previous_page_uri": uri(page - 1) if page else None,
                "start": start, "end": start + max(len(rows) - 1, 0)}

    @staticmethod
    def _number_sid(index: int) -> str:
        return f"PN{index:032x}"

    def _number(self, index: int, n: Phone) -> dict[str, Any]:
        a, sid = self.account, self._number_sid(index)
        return {"account_sid": a.sid, "address_requirements": "none", "address_sid": None,
                "api_version": "2010-04-01", "beta": False,
                "capabilities": {"voice": n.voice, "sms": n.sms, "mms": n.mms, "fax": False},
                "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
                "date_updated": "Thu, 30 Jul 2015 23:19:04 +0000",
                "emergency_status": "Inactive", "emergency_address_sid": None,
                "emergency_address_status": "unregistered",
                "friendly_name": n.friendly_name or n.phone_number, "identity_sid": None,
                "origin": "twilio", "phone_number": n.phone_number, "sid": sid,
                "sms_application_sid": None, "sms_fallback_method": "POST",
                "sms_fallback_url": "", "sms_method": "POST", "sms_url": "",
                "status_callback": "", "status_callback_method": "POST", "trunk_sid": None,
                "uri": f"/2010-04-01/Accounts/{a.sid}/IncomingPhoneNumbers/{sid}.json",
                "voice_application_sid": None, "voice_caller_id_lookup": False,
                "voice_fallback_method": "POST", "voice_fallback_url": None,
                "voice_method": "POST", "voice_url": None, "bundle_sid": None,
                "voice_receive_mode": "voice", "status": "in-use", "type": "local"}


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
