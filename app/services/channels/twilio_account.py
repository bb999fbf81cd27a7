"""Reading a Twilio account for Integrações' Testar: whose it is, whether it may
send, and the numbers it can send SMS from (for the practice to pick the sender).

Twilio's REST API 2010-04-01, HTTP Basic auth with the Account SID and the auth token:
- the account, GET /2010-04-01/Accounts/{Sid}.json: friendly_name, status (active,
  suspended, closed), type (Trial, Full) — https://www.twilio.com/docs/iam/api/account;
- its numbers, GET /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers.json:
  phone_number (E.164), friendly_name, capabilities.sms, in pages linked by
  next_page_uri (relative to the API's address; null on the last page) —
  https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource and
  https://www.twilio.com/docs/usage/twilios-response (paging);
- errors as {"code", "message", "more_info", "status"}: 20003 (401) the SID or token
  refused (also when the account is suspended or closed) —
  https://www.twilio.com/docs/errors/20003; 20404 (404) no such resource —
  https://www.twilio.com/docs/errors/20404.
A trial account sends only to numbers verified in the Console, each message
prefixed with a trial notice: https://www.twilio.com/docs/messaging/guides/how-to-use-your-free-trial-account

Nothing here stores anything: the window saves what the practice chose with Salvar.
The token travels only in the Authorization header; it is never in a sentence, and
the account's answer (which holds the token too) is read for the fields above only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from app.i18n import N_, _, ngettext
from app.services import channel_checks, secrets
from app.services.errors import InvalidInput, PracticeError
from app.services.practice import Practice
from app.services.values import web_address

TIMEOUT = 15  # seconds for each read
MAX_PAGES = 40  # 40 pages of 50: more numbers than a practice has
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")  # the spec's pattern for an Account SID

STATUS_WORDS = {"active": N_("active"), "suspended": N_("suspended"), "closed": N_("closed")}


class AccountCheckFailed(PracticeError):
    """Testar found a problem. field: the setting to change ("sms.account_sid",
    "sms.auth_token", "sms.api_base", "sms.from") or None when none of them is at
    fault (Twilio unreachable, a temporary failure)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TwilioNumber:
    phone_number: str  # E.164, what goes in sms.from
    friendly_name: str  # Twilio's name for it; by default the number formatted
    sms: bool  # capabilities.sms: whether it can send SMS
    voice: bool = False  # capabilities.voice: whether it can make calls


@dataclass(frozen=True)
class TwilioAccount:
    sid: str
    friendly_name: str
    status: str  # "active", "suspended" or "closed"
    trial: bool  # type "Trial": sends only to verified numbers
    numbers: tuple[TwilioNumber, ...]  # every number, in Twilio's order

    @property
    def senders(self) -> tuple[TwilioNumber, ...]:
        """The numbers that can send SMS: the choices for sms.from."""
        return tuple(n for n in self.numbers if n.sms)

    @property
    def callers(self) -> tuple[TwilioNumber, ...]:
        """The numbers that can make calls: the choices for voice.from."""
        return tuple(n for n in self.numbers if n.voice)


def sid_problem(sid: str) -> str | None:
    """Why `sid` is not an Account SID ("AC" and 32 hexadecimal digits, 34
    characters: Twilio's spec), in a sentence; None when it is one."""
    sid = sid.strip()
    if not sid:
        return _("Type the Account SID: the Twilio Console shows it on its home page, "
                 "under Account Info.")
    if ACCOUNT_SID.fullmatch(sid):
        return None
    if sid[:2].upper() == "SK":
        return _("'{sid}' is an API key's SID (it starts with SK): type the Account SID, "
                 "which starts with AC.").format(sid=sid)
    return _("'{sid}' is not an Account SID: an Account SID starts with AC and has 34 "
             "characters (letters a to f and digits after AC). Copy it again from the "
             "Twilio Console.").format(sid=sid)


def check_sid(sid: str) -> str:
    """`sid` stripped, or InvalidInput saying why it is not an Account SID (the
    rule of the sms.account_sid setting)."""
    problem = sid_problem(sid)
    if problem:
        raise InvalidInput(problem)
    return sid.strip()


def check(p: Practice, api_base: str, sid: str, token: str | None) -> TwilioAccount:
    """Testar: reads the account and its numbers with what the form holds (`token`
    empty or None: the one in the keyring), records the outcome as the "sms" check,
    and returns the account. AccountCheckFailed (or SecretsUnavailable) says what
    to change; nothing is saved either way."""

    def run() -> TwilioAccount:
        typed = (token or "").strip()
        return read(api_base, sid, typed or secrets.load("sms.auth_token") or "")

    return channel_checks.checked(p, "sms", run, describe)


def read(api_base: str, sid: str, token: str) -> TwilioAccount:
    """The account and its numbers. Raises AccountCheckFailed before calling Twilio
    when the SID is not an Account SID, the token is empty or the address is not
    https://; after, for each refusal, an account that cannot send (suspended,
    closed), or no number that can send SMS."""
    problem = sid_problem(sid)
    if problem:
        raise AccountCheckFailed(problem, "sms.account_sid")
    sid = sid.strip()
    if not token.strip():
        raise AccountCheckFailed(_("Type the auth token: the Twilio Console shows it under "
                                   "Account Info, next to the Account SID (press Show)."),
                                 "sms.auth_token")
    try:
        base = web_address(api_base or "https://api.twilio.com")
    except InvalidInput as exc:
        raise AccountCheckFailed(str(exc), "sms.api_base") from None
    auth = (sid, token.strip())
    body = _get(f"{base}/2010-04-01/Accounts/{sid}.json", auth, sid)
    name = _text(body, "friendly_name") or sid
    status = _text(body, "status")
    if status in ("suspended", "closed"):
        raise AccountCheckFailed(
            _("The Twilio account '{name}' is suspended, so it cannot send SMS: the Twilio "
              "Console says why and how to reactivate it.").format(name=name)
            if status == "suspended" else
            _("The Twilio account '{name}' is closed, so it cannot send SMS: use the "
              "Account SID and auth token of an open account.").format(name=name),
            "sms.account_sid")
    numbers = _numbers(base, auth, sid)
    account = TwilioAccount(sid, name, status or "active", _text(body, "type") == "Trial",
                            numbers)
    if not account.senders:
        raise AccountCheckFailed(_no_sender(account), "sms.from")
    return account


def describe(account: TwilioAccount, *, with_trial: bool = True) -> str:
    """What Testar found, in a sentence (and the trial's limit, for a trial account
    unless with_trial is False). No secret is in it."""
    found = ngettext("Twilio account '{name}' ({status}): {n} number can send SMS.",
                     "Twilio account '{name}' ({status}): {n} numbers can send SMS.",
                     len(account.senders)).format(
        name=account.friendly_name, status=_(STATUS_WORDS.get(account.status, "active")),
        n=len(account.senders))
    if account.trial and with_trial:
        found += " " + trial_limit()
    return found


def trial_limit() -> str:
    """What a trial account cannot do, and the way out."""
    return _("It is a trial account: it sends SMS only to numbers verified in the Twilio "
             "Console (Verified Caller IDs), each with a trial notice; upgrade the account to "
             "reach every client.")


def _no_sender(account: TwilioAccount) -> str:
    if not account.numbers:
        return _("The Twilio account '{name}' has no phone number: buy one that can send SMS "
                 "in the Twilio Console (Phone Numbers › Buy a number), then test again."
                 ).format(name=account.friendly_name)
    return ngettext(
        "The Twilio account '{name}' has {n} phone number, but it cannot send SMS: buy one "
        "that can in the Twilio Console (Phone Numbers › Buy a number), then test again.",
        "The Twilio account '{name}' has {n} phone numbers, but none can send SMS: buy one "
        "that can in the Twilio Console (Phone Numbers › Buy a number), then test again.",
        len(account.numbers)).format(name=account.friendly_name, n=len(account.numbers))


def _numbers(base: str, auth: tuple[str, str], sid: str) -> tuple[TwilioNumber, ...]:
    """Every page of the account's numbers, following next_page_uri (a path on the
    same API address, under this account's numbers: anything else is not
    followed, so the credentials never go elsewhere)."""
    own = f"/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json"
    url: str | None = base + own
    found: list[TwilioNumber] = []
    for _page in range(MAX_PAGES):
        if url is None:
            break
        body = _get(url, auth, sid)
        rows = body.get("incoming_phone_numbers")
        if not isinstance(rows, list):
            raise _unreadable()
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("phone_number"), str):
                raise _unreadable()
            capabilities = row.get("capabilities")
            sms = isinstance(capabilities, dict) and capabilities.get("sms") is True
            voice = isinstance(capabilities, dict) and capabilities.get("voice") is True
            found.append(TwilioNumber(row["phone_number"],
                                      _text(row, "friendly_name") or row["phone_number"], sms,
                                      voice))
        following = body.get("next_page_uri")
        if following is None:
            url = None
        elif isinstance(following, str) and urlsplit(following).path == own \
                and not urlsplit(following).netloc:
            url = base + following
        else:
            raise _unreadable()
    return tuple(found)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return value.strip() if isinstance(value, str) else ""


def _unreadable() -> AccountCheckFailed:
    return AccountCheckFailed(_("Twilio's answer could not be read: check the API address "
                                "under Advanced (normally https://api.twilio.com)."),
                              "sms.api_base")


def _get(url: str, auth: tuple[str, str], sid: str) -> dict[str, Any]:
    """One read, its JSON object; every failure as AccountCheckFailed."""
    try:
        response = requests.get(url, auth=auth, timeout=TIMEOUT,
                                headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise AccountCheckFailed(_("Twilio could not be reached ({kind}): check this "
                                   "computer's internet connection, and the API address "
                                   "under Advanced.").format(kind=type(exc).__name__)) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    if response.status_code == 401 or code == 20003:
        raise AccountCheckFailed(_("Twilio refused the Account SID or the auth token: copy "
                                   "both again from Account Info in the Twilio Console. If "
                                   "they are right, the account may be suspended or closed."),
                                 "sms.auth_token")
    if response.status_code == 404 or code == 20404:
        raise AccountCheckFailed(_("Twilio has no account {sid}: copy the Account SID again "
                                   "from the Twilio Console, and check the API address under "
                                   "Advanced.").format(sid=sid), "sms.account_sid")
    if response.status_code == 429 or code == 20429:
        raise AccountCheckFailed(_("Twilio asked to slow down: test again in a minute."))
    if response.status_code >= 500:
        raise AccountCheckFailed(_("Twilio had a temporary problem ({code}): test again in "
                                   "a few minutes.").format(code=response.status_code))
    if not response.ok:
        detail = str(body.get("message", ""))[:200] if isinstance(body, dict) else ""
        raise AccountCheckFailed(_("Twilio refused to show the account ({code}: {detail}).")
                                 .format(code=code or response.status_code, detail=detail))
    if not isinstance(body, dict):
        raise _unreadable()
    return body
