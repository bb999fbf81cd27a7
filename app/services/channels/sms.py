"""SMS through Twilio's Messages resource."""

from __future__ import annotations

from app.i18n import _
from app.models.enums import Channel
from app.services import channel_setup
from app.services.channels import ChannelError, NotConfigured, Outgoing, http, text

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
    try:
        code = int(body.get("code", 0) or 0) if isinstance(body, dict) else 0
    except (TypeError, ValueError):
        code = 0
    if response.status_code == 401 and code == 0:
        code = 20003  # authentication failed, whatever the body holds
    if response.status_code == 429 or code == 20429:
        raise ChannelError(_("Twilio asked to slow down; the message waits a little."),
                           retry=True, code="429", slow_down=True)
    if response.status_code == 408:  # RFC 9110 §15.5.9: closed before taking the request
        raise ChannelError(_("Twilio gave up waiting for the request; the message waits "
                             "a little."), retry=True, code="408")
    if response.status_code >= 500 and response.status_code != 503:
        # Twilio takes no idempotency key for a message: a 500 (20500) may come after
        # the SMS was queued.
        raise http.may_have_acted("Twilio", response.status_code)
    if response.status_code >= 500:
        raise ChannelError(_("Twilio had a temporary problem ({code}).")
                           .format(code=response.status_code), retry=True,
                           code=str(response.status_code))
    detail = str(body.get("message", ""))[:200] if isinstance(body, dict) else ""
    human = _permanent(code) or _("Twilio refused the SMS ({code}: {detail}).").format(
        code=code or response.status_code, detail=detail)
    raise ChannelError(human, retry=False, code=str(code or response.status_code))
