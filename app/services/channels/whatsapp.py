"""WhatsApp through Meta's Cloud API: approved templates for reminders and notices
(a business may only start a conversation with a template)."""

from __future__ import annotations

from typing import Any

from app.i18n import _
from app.models.enums import Channel
from app.services import channel_setup
from app.services.channels import ChannelError, NotConfigured, Outgoing, http, text

TIMEOUT = 20
# Meta's error codes (Cloud API, "Error codes"): temporary ones say the message was
# not sent and are tried again (131000 comes with HTTP 500, and says "failed to
# send"); throughput limits slow the whole channel down, while 131056 (too many
# messages to one recipient) only makes that message wait; the rest fail at once.
RETRY_CODES = {131000, 131016, 133004, 80007, 131056, 131048, 4, 2}
SLOW_DOWN_CODES = {130429, 80007, 4}


def _permanent(code: int) -> str | None:
    return {
        131026: _("This number is not on WhatsApp (or cannot receive messages): use another "
                  "channel for this client."),
        131047: _("More than 24 hours have passed since the client's last message, so "
                  "WhatsApp only accepts an approved template."),
        132000: _("The WhatsApp template's parameters do not match the approved template: "
                  "check the fields chosen in Settings › Client notifications."),
        132001: _("The WhatsApp template does not exist in this language, or is not approved "
                  "yet: check its name and language in Settings › Client notifications."),
        132012: _("The WhatsApp template's parameters have the wrong format: check the "
                  "fields chosen in Settings › Client notifications."),
        132005: _("The WhatsApp template's text grows too long with this session's "
                  "details (over 1,024 characters): choose fewer fields in Settings › "
                  "Client notifications."),
        132018: _("WhatsApp refused a parameter of the template (a line break, a tab or "
                  "many spaces): check the fields chosen in Settings › Client notifications."),
        10: _("The WhatsApp access token lacks a permission for this number: give it "
              "whatsapp_business_messaging in Meta's business settings."),
        200: _("The WhatsApp access token lacks a permission for this number: give it "
               "whatsapp_business_messaging in Meta's business settings."),
        133010: _("This WhatsApp number is not registered with the Cloud API: register it in "
                  "the WhatsApp Manager."),
        132015: _("The WhatsApp template is paused by Meta for low quality: choose another "
                  "in Settings › Client notifications."),
        132016: _("The WhatsApp template was disabled by Meta: choose another in Settings › "
                  "Client notifications."),
        190: _("The WhatsApp access token has expired or was revoked: renew it in "
               "Settings › Integrations."),
        131030: _("This number is not allowed to receive messages from the test account: "
                  "add it in Meta's developer settings or use the production number."),
        368: _("Meta has temporarily blocked this WhatsApp account for policy reasons: see "
               "the WhatsApp Manager."),
    }.get(code)


def payload(msg: Outgoing) -> dict[str, Any]:
    if msg.template:
        components: list[dict[str, Any]] = []
        if msg.parameters:
            components.append({"type": "body", "parameters": [
                {"type": "text", "text": text.whatsapp_parameter(p)} for p in msg.parameters]})
        if msg.button_suffix:
            suffix = text.whatsapp_parameter(msg.button_suffix)
            components.append({"type": "button", "sub_type": "url", "index": "0",
                               "parameters": [{"type": "text", "text": suffix}]})
        # Meta's spec (LanguageObject) requires the policy; "deterministic" is its only value.
        template: dict[str, Any] = {"name": msg.template, "language": {
            "policy": "deterministic", "code": msg.language}}
        if components:
            template["components"] = components
        return {"messaging_product": "whatsapp", "recipient_type": "individual",
                "to": msg.to.lstrip("+"), "type": "template", "template": template}
    return {"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": msg.to.lstrip("+"), "type": "text",
            "text": {"preview_url": False, "body": text.whatsapp_text(msg.text)}}


def send(cfg: dict[str, str], token: str | None, msg: Outgoing) -> str:
    # A reply inside the 24-hour window needs no template; a reminder's is checked
    # before it is composed.
    unset = channel_setup.missing(Channel.WHATSAPP, cfg, token is not None,
                                  needs_template=False)
    if unset:
        raise NotConfigured(unset)
    url = f"{cfg['whatsapp.api_base']}/{cfg['whatsapp.phone_number_id']}/messages"
    response = http.post("WhatsApp", url, json=payload(msg), timeout=TIMEOUT,
                         headers={"Authorization": f"Bearer {token}"})
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.ok:
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise http.accepted_without_id("WhatsApp") from None
    error = body.get("error", {}) if isinstance(body, dict) else {}
    error = error if isinstance(error, dict) else {}
    try:
        code = int(error.get("code", 0) or 0)
    except (TypeError, ValueError):
        code = 0
    detail = str(error.get("message", ""))[:200]
    if response.status_code == 429 or code in SLOW_DOWN_CODES:
        raise ChannelError(_("WhatsApp asked to slow down; the message waits a little."),
                           retry=True, code=str(code or 429), slow_down=True)
    if response.status_code == 408:  # RFC 9110 §15.5.9: closed before taking the request
        raise ChannelError(_("WhatsApp gave up waiting for the request; the message waits "
                             "a little."), retry=True, code="408")
    if response.status_code >= 500 and response.status_code != 503 and code not in RETRY_CODES:
        raise http.may_have_acted("WhatsApp", response.status_code)
    if code in RETRY_CODES or response.status_code >= 500:
        raise ChannelError(_("WhatsApp had a temporary problem ({code}).")
                           .format(code=code or response.status_code), retry=True,
                           code=str(code or response.status_code))
    if response.status_code == 401 and not _permanent(code):
        code = 190  # Meta answers a bad token with 401 whatever the body holds
    human = _permanent(code) or _("WhatsApp refused the message ({code}: {detail}).").format(
        code=code or response.status_code, detail=detail)
    raise ChannelError(human, retry=False, code=str(code or response.status_code))
