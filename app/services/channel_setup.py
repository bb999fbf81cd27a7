"""Whether a channel is set up well enough to send, and in words what is missing.

A message for a channel that is not set up is not a failure of that message: it
is skipped with the reason, and the reason points at the setting that fixes it.
The dispatcher asks this before claiming a message, the session panel before
promising a reminder, the cancel dialog before offering to warn the client."""

from __future__ import annotations

from typing import NamedTuple

from app.i18n import _
from app.models.enums import Channel
from app.services import config, secrets
from app.services.practice import Practice

# Calls go through the SMS channel's Twilio account, with its auth token.
SECRET_OF = {Channel.EMAIL: "smtp.password", Channel.WHATSAPP: "whatsapp.token",
             Channel.SMS: "sms.auth_token", Channel.VOICE: "sms.auth_token",
             Channel.PUSH: "push.private_key"}
NOT_SET_UP = "not_configured"  # the code written on the attempt and on the group
INTEGRATIONS, NOTIFICATIONS = "integrations", "notifications"  # where a setting is fixed


class Missing(NamedTuple):
    text: str  # what is missing, naming the setting
    fix: str  # INTEGRATIONS or NOTIFICATIONS: the Settings tab that fixes it


def missing(channel: Channel | str, cfg: dict[str, str], has_secret: bool, *,
            needs_template: bool = True) -> str | None:
    """Why `channel` cannot send as set up (one sentence naming the fix), or None.
    See what_is_missing()."""
    found = what_is_missing(channel, cfg, has_secret, needs_template=needs_template)
    return found.text if found else None


def what_is_missing(channel: Channel | str, cfg: dict[str, str], has_secret: bool, *,
                    needs_template: bool = True) -> Missing | None:
    """What `channel` lacks to send as set up, with the Settings tab to fix it, or None.

    cfg: config.get_all(); has_secret: whether the channel's password or token is
    in the keyring (an e-mail server may need none); needs_template: a reminder or
    notice by WhatsApp opens a conversation, so Meta requires an approved template
    (a reply written in Conecta inside the 24-hour window does not)."""
    channel = Channel(channel)
    if channel is Channel.EMAIL:
        if not cfg["smtp.host"] or not cfg["smtp.from"]:
            return Missing(_("E-mail is not set up: fill in the SMTP server and the sender "
                             "address in Settings › Integrations."), INTEGRATIONS)
    elif channel is Channel.WHATSAPP:
        if not cfg["whatsapp.phone_number_id"] or not has_secret:
            return Missing(_("WhatsApp is not set up: fill in the phone number id and the "
                             "access token in Settings › Integrations."), INTEGRATIONS)
        if needs_template and not cfg["whatsapp.template"]:
            return Missing(_("No approved WhatsApp template is chosen in Settings › Client "
                             "notifications."), NOTIFICATIONS)
    elif channel is Channel.SMS and (not cfg["sms.account_sid"] or not has_secret or
                                     not cfg["sms.from"]):
        return Missing(_("SMS is not set up: fill in the Twilio account SID, auth token and "
                         "sending number in Settings › Integrations."), INTEGRATIONS)
    elif channel is Channel.VOICE:
        if not cfg["sms.account_sid"] or not has_secret or \
                not (cfg["voice.from"] or cfg["sms.from"]):
            return Missing(_("Phone calls are not set up: fill in the Twilio account and the "
                             "number calls come from in Settings › Integrations."),
                           INTEGRATIONS)
        if not cfg["relay.url"]:
            return Missing(_("Phone calls need the confirmation links' relay (the client's "
                             "key press reaches the practice through it): set it up in "
                             "Settings › Integrations."), INTEGRATIONS)
    elif channel is Channel.PUSH and (not cfg["push.public_key"] or not has_secret or
                                      not cfg["relay.url"]):
        return Missing(_("Notifications on clients' phones are not set up: turn them on in "
                         "Settings › Integrations (they need the confirmation links' "
                         "relay)."), INTEGRATIONS)
    return None


def readiness(p: Practice, cfg: dict[str, str] | None = None) -> dict[Channel, Missing | None]:
    """what_is_missing() for every channel that sends reminders, reading the keyring once
    each. A keyring that cannot be read counts as holding the secret: whether it
    is there is then unknown, and the dispatcher says so if it is not."""
    cfg = cfg if cfg is not None else config.get_all(p)
    out: dict[Channel, Missing | None] = {}
    for channel, name in SECRET_OF.items():
        try:
            has_secret = secrets.is_set(name)
        except secrets.SecretsUnavailable:
            has_secret = True
        out[channel] = what_is_missing(channel, cfg, has_secret)
    if out.get(Channel.WHATSAPP) is None:
        from app.services.whatsapp_templates import reminder_problem

        paused = reminder_problem(p, cfg)  # Meta paused, rejected or disabled it
        if paused:
            out[Channel.WHATSAPP] = Missing(paused, NOTIFICATIONS)
    return out


def secrets_missing_here(p: Practice, cfg: dict[str, str] | None = None) -> list[str]:
    """The keyring names the practice's set-up channels need that this computer's
    keyring lacks (secrets stay on the computer where they were typed). A
    computer lacking any is not the one to send for the practice. A keyring that
    cannot be read lacks them all."""
    cfg = cfg if cfg is not None else config.get_all(p)
    needed = []
    if cfg["whatsapp.phone_number_id"]:
        needed.append("whatsapp.token")
    if cfg["sms.account_sid"]:
        needed.append("sms.auth_token")
    if cfg["push.public_key"]:
        needed.append("push.private_key")
    if cfg["smtp.host"] and cfg["smtp.user"]:
        needed.append("smtp.password")
    if cfg["imap.host"] and cfg["imap.user"]:
        needed.append("imap.password")
    if cfg["relay.url"] and cfg["relay.practice_id"]:
        needed += ["relay.api_key", "relay.link_secret", "relay.private_key"]
    try:
        return [name for name in needed if not secrets.is_set(name)]
    except secrets.SecretsUnavailable:
        return needed
