"""Giving the relay the practice's Twilio account, so that Twilio's webhooks —
clients' key presses on reminder calls, the calls' statuses, SMS replies — are
taken by the relay instead of refused.

The relay checks those webhooks with the account's auth token
(X-Twilio-Signature) and routes them by its SID (AccountSid). A practice paired
by a code has no other way to give them: the SMS box's account (config
`sms.account_sid`, keyring `sms.auth_token`) is sent when it is saved, before a
test call (Ligar para mim), after pairing, and by `practice relay twilio`.

The relay's side (relay/accounts.py):
  PUT {relay}/api/v1/twilio-account {"account_sid", "auth_token"}, bearer: the
  practice's API key → 200 {"account_sid"}; 401 an unknown key; 422 {"error"} a
  SID or token that is not Twilio's; 409 {"error"} another practice on the relay
  has this account, or the relay's configuration sets the practice's account.
  GET the same → 200 {"account_sid"} ("" when none; the token is never answered).

Each share is recorded as the "voice" check (channel_checks), which the
Integrações overview shows on the calls' row.

https://www.twilio.com/docs/usage/security#validating-requests"""

from __future__ import annotations

import logging

import requests

from app.i18n import _
from app.services import channel_checks, config, relay_address, secrets
from app.services.errors import InvalidInput, PracticeError
from app.services.practice import Practice

log = logging.getLogger(__name__)
CHANNEL = "voice"  # how channel_checks names the check this records
ROUTE = "/api/v1/twilio-account"
TIMEOUT = 15  # seconds


class TwilioNotShared(PracticeError):
    """The relay could not be given the Twilio account: it refused it, or could
    not be reached. The message says what to do."""


def ready(p: Practice) -> bool:
    """Whether there is something to share and somewhere to share it: a relay
    paired (its address and the API key) and the SMS box's Twilio account (SID and
    auth token). A keyring that cannot be read counts as not ready."""
    if not config.get(p, "relay.url") or not config.get(p, "sms.account_sid").strip():
        return False
    try:
        return secrets.is_set("relay.api_key") and secrets.is_set("sms.auth_token")
    except secrets.SecretsUnavailable:
        return False


def share(p: Practice) -> str:
    """Sends the SMS box's Twilio account to the relay; returns a sentence saying
    the relay has it. Recorded as the "voice" check. Raises InvalidInput (no relay
    or no Twilio account set up: nothing recorded), TwilioNotShared (the relay
    refused or could not be reached) or secrets.SecretsUnavailable."""
    url, api_key, sid, token = _settings(p)
    return channel_checks.checked(p, CHANNEL, lambda: _put(url, api_key, sid, token),
                                  lambda said: said)


def share_if_ready(p: Practice) -> str | None:
    """share() when ready(), else None (nothing sent, nothing recorded)."""
    return share(p) if ready(p) else None


def give_if_ready(p: Practice) -> str | None:
    """As share_if_ready(), without recording a check: for a caller that records
    its own (voice_calls.test_call). TwilioNotShared as share()."""
    if not ready(p):
        return None
    return _put(*_settings(p))


def on_relay(p: Practice) -> str:
    """The SID of the Twilio account the relay holds for the practice ("" when
    none). Raises InvalidInput (no relay) or TwilioNotShared."""
    url, api_key = _relay(p)
    return _ask("GET", url, api_key, None)


def _relay(p: Practice) -> tuple[str, str]:
    return relay_address.of(p, _("The confirmation links' relay is not set up: connect it "
                                 "first in Settings › Integrations."))


def _settings(p: Practice) -> tuple[str, str, str, str]:
    url, api_key = _relay(p)
    sid = config.get(p, "sms.account_sid").strip()
    token = secrets.load("sms.auth_token")
    if not sid or not token:
        raise InvalidInput(_("Twilio is not set up: fill in the Account SID and the auth "
                             "token in Settings › Integrations › SMS and press Save."))
    return url, api_key, sid, token.strip()


def _put(url: str, api_key: str, sid: str, token: str) -> str:
    held = _ask("PUT", url, api_key, {"account_sid": sid, "auth_token": token})
    if held != sid:
        raise TwilioNotShared(_("The relay at {relay} keeps another Twilio account ({held}) "
                                "for this practice: ask the person who runs the relay.")
                              .format(relay=url, held=held or "—"))
    log.info("the relay at %s has the practice's Twilio account %s", url, sid)
    return _("The relay at {relay} has the practice's Twilio account ({sid}): clients' key "
             "presses on reminder calls and their SMS replies reach the practice.").format(
        relay=url, sid=sid)


def _ask(method: str, url: str, api_key: str, body: dict[str, str] | None) -> str:
    """The relay's {"account_sid"}, or TwilioNotShared in words."""
    try:
        response = requests.request(method, f"{url}{ROUTE}", json=body,
                                    headers={"Authorization": f"Bearer {api_key}"},
                                    timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        raise TwilioNotShared(_("The relay at {relay} cannot be reached, so it could not be "
                                "given the practice's Twilio account: check that it is running "
                                "and reachable, then press Save again.").format(relay=url)
                              ) from None
    status = response.status_code
    if status in (401, 403):
        raise TwilioNotShared(_("The relay refused this computer's key: connect the relay "
                                "again in Settings › Integrations."))
    if status in (404, 405):
        raise TwilioNotShared(_("The relay at {relay} cannot take the practice's Twilio "
                                "account: it needs updating.").format(relay=url))
    try:
        answer = response.json()
    except ValueError:
        answer = None
    said = answer.get("error") if isinstance(answer, dict) else None
    if status in (409, 422) and isinstance(said, str) and said:
        raise TwilioNotShared(_("The relay refused the practice's Twilio account: {reason}")
                              .format(reason=said.strip()[:300]))
    if status == 429:
        raise TwilioNotShared(_("The relay asks this computer to slow down: try again in a "
                                "minute."))
    found = answer.get("account_sid") if isinstance(answer, dict) and status == 200 else None
    if not isinstance(found, str):
        raise TwilioNotShared(_("The relay at {relay} answered {code}: try again later.")
                              .format(relay=url, code=status))
    return found
