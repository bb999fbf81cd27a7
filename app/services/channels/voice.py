"""Phone calls through Twilio's Call resource (Programmable Voice), with the SMS
channel's Twilio account.

send() places a call: POST {sms.api_base}/2010-04-01/Accounts/{Sid}/Calls.json
with To, From, inline Twiml (at most 4000 characters), StatusCallback with the
events initiated, ringing, answered and completed, and asynchronous answering
machine detection (MachineDetection=DetectMessageEnd, AsyncAmd=true, its result
posted to the same callback). update() gives a call in progress new TwiML
(POST …/Calls/{CallSid}.json), how an answering machine gets the short message.

Sources: https://www.twilio.com/docs/voice/api/call-resource (Create a Call,
Update a Call), https://www.twilio.com/docs/voice/answering-machine-detection,
the CreateCall and UpdateCall operations of Twilio's twilio_api_v2010 spec;
error codes https://www.twilio.com/docs/api/errors (20003, 21210, 21211, 21215,
21217, 21219, 21220, 20429)."""

from __future__ import annotations

from typing import Any

import requests

from app.i18n import _
from app.models.enums import Channel
from app.services import channel_setup
from app.services.channels import ChannelError, NotConfigured, Outgoing, http, twilio_errors
from relay import spoken

TIMEOUT = 20
# Twilio's StatusCallbackEvent values: every step of the call is reported.
EVENTS = ("initiated", "ringing", "answered", "completed")


def _permanent(code: int) -> str | None:
    return {
        20003: _("Twilio refused the account SID or auth token: check them in Settings › "
                 "Integrations."),
        21210: _("The number calls come from is not one of the Twilio account's numbers "
                 "nor a verified caller ID: choose another in Settings › Integrations."),
        21211: _("Twilio says the client's phone number is not valid for a call."),
        21215: _("The Twilio account may not call this country: enable it in Twilio's "
                 "voice geographic permissions."),
        21217: _("Twilio says the client's phone number does not appear to be valid."),
        21219: _("A Twilio trial account may only call verified numbers: verify the client's "
                 "number in Twilio or upgrade the account."),
    }.get(code)


def _calls_url(cfg: dict[str, str]) -> str:
    return f"{cfg['sms.api_base']}/2010-04-01/Accounts/{cfg['sms.account_sid']}/Calls"


def send(cfg: dict[str, str], token: str | None, msg: Outgoing) -> str:
    """Places the call; returns its SID (CA…). Raises NotConfigured, ChannelError
    (retry for a refusal Twilio explains as temporary, slow_down for 429/20429),
    OutcomeUnknown when the call may have been placed (a dropped answer, a 5xx)."""
    unset = channel_setup.missing(Channel.VOICE, cfg, token is not None)
    if unset:
        raise NotConfigured(unset)
    twiml = msg.twiml or spoken.say_and_hang_up(
        msg.text, spoken.language_of(msg.language),
        msg.voice or spoken.DEFAULT_VOICE[spoken.language_of(msg.language)])
    if len(twiml) > spoken.MAX_TWIML:
        raise ChannelError(_("The call's words are too long for Twilio (at most {limit} "
                             "characters with the call's instructions): shorten the spoken "
                             "text in Settings › Client notifications.").format(
            limit=spoken.MAX_TWIML), retry=False, code="too_long")
    form: list[tuple[str, str]] = [("To", msg.to),
                                   ("From", msg.sender or cfg["voice.from"] or cfg["sms.from"]),
                                   ("Twiml", twiml)]
    if msg.status_callback:
        form += [("StatusCallback", msg.status_callback), ("StatusCallbackMethod", "POST")]
        form += [("StatusCallbackEvent", event) for event in EVENTS]
        # In the background: the client hears the words at once, and an answering
        # machine, once its greeting ends, is given the short message (update()).
        form += [("MachineDetection", "DetectMessageEnd"), ("AsyncAmd", "true"),
                 ("AsyncAmdStatusCallback", msg.status_callback),
                 ("AsyncAmdStatusCallbackMethod", "POST")]
    response = http.post("Twilio", f"{_calls_url(cfg)}.json", data=form,
                         auth=(cfg["sms.account_sid"], token), timeout=TIMEOUT)
    body = _body(response)
    if response.ok:
        if body.get("sid"):
            return str(body["sid"])
        raise http.accepted_without_id("Twilio")
    raise _refusal(response, body, _("Twilio refused the call ({code}: {detail})."))


def update(cfg: dict[str, str], token: str | None, call_sid: str, twiml: str) -> None:
    """New instructions for a call in progress. Raises ChannelError (21220: the
    call is no longer in progress)."""
    if token is None or not cfg["sms.account_sid"]:
        raise NotConfigured(channel_setup.missing(Channel.VOICE, cfg, False) or "")
    response = http.post("Twilio", f"{_calls_url(cfg)}/{call_sid}.json",
                         data={"Twiml": twiml}, auth=(cfg["sms.account_sid"], token),
                         timeout=TIMEOUT)
    if response.ok:
        return
    body = _body(response)
    if body.get("code") == 21220:
        raise ChannelError(_("The call had already ended."), retry=False, code="21220")
    raise _refusal(response, body, _("Twilio refused to change the call ({code}: {detail})."))


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refusal(response: requests.Response, body: dict[str, Any], refused: str
             ) -> ChannelError:
    """Twilio's error answer as a sentence, with whether to try again."""
    return twilio_errors.refusal(response, body, what=_("the call"), permanent=_permanent,
                                 refused=refused)
