"""SMS through Twilio's Messages resource."""

from __future__ import annotations

from app.i18n import _
from app.models.enums import Channel
from app.services import channel_setup
from app.services.channels import NotConfigured, Outgoing, http, text, twilio_errors

TIMEOUT = 20


def _permanent(code: int) -> str | None:
    return {
        20003: _("Twilio refused the account SID or auth token: check them in Settings › "
                 "Integrations."),
        21211: _("Twilio says the client's phone number is not valid for SMS."),
        21408: _("The Twilio account may not send SMS to this country: enable it in Twilio's "
                 "geographic permissions."),
        21606: _("The 'from' number cannot send SMS: choose an SMS-capable number in "
                 "Settings › Integrations."),
        21610: _("The client replied STOP to SMS from this number; they cannot be sent SMS "
                 "until they reply START."),
        21614: _("The client's number cannot receive SMS (it is not a mobile number)."),
    }.get(code)


def send(cfg: dict[str, str], token: str | None, msg: Outgoing) -> str:
    sid = cfg["sms.account_sid"]
    unset = channel_setup.missing(Channel.SMS, cfg, token is not None)
    if unset:
        raise NotConfigured(unset)
    url = f"{cfg['sms.api_base']}/2010-04-01/Accounts/{sid}/Messages.json"
    form = {"To": msg.to, "From": msg.sender or cfg["sms.from"],
            "Body": text.sms_body(msg.text)}
    if msg.status_callback:
        form["StatusCallback"] = msg.status_callback
    response = http.post("Twilio", url, data=form, auth=(sid, token), timeout=TIMEOUT)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.ok:
        if isinstance(body, dict) and body.get("sid"):
            return str(body["sid"])
        raise http.accepted_without_id("Twilio")
    raise twilio_errors.refusal(response, body, what=_("the message"), permanent=_permanent,
                                refused=_("Twilio refused the SMS ({code}: {detail})."))
