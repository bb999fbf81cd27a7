"""What a notification on the client's phone says, and what the outbox does with
what the push services answered (channels/push.py).

The payload is the JSON the relay's service worker (relay.push.WORKER) reads:
  {"title": the practice's name, "body": the session's day and time (the
   practice's `template.push.text`, else the built-in sentence, in the client's
   language), "url": the link's page, "actions": [{"action": "confirm", "title"},
   {"action": "cancel", "title"}] (both open the page: a notification never
   confirms by itself), "tag": "session-ID", "lang": BCP 47, "expires": the
   session's start (ISO 8601, UTC; the push's TTL)}.
Templates take the fields of messages.SessionFacts and {day}: "today",
"tomorrow" or the weekday and date."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app import i18n
from app.i18n import _
from app.models.enums import Channel
from app.models.instants import later_minutes
from app.models.outbox import MessageKind, OutboxMessage
from app.models.tables import Appointment, Client, PracticeSettings, Service, Staff
from app.services import audit, messages, push_devices, secrets
from app.services.channels import Outgoing, PushDevice, text
from app.services.channels import push as push_channel
from app.services.practice import Practice
from app.services.reminders import PUSH_RECIPIENT

BODY_MAX, TITLE_MAX = 500, 100  # characters; phones show less, the payload fits
ASKS_AN_ANSWER = (MessageKind.REMINDER, MessageKind.RESCHEDULE, MessageKind.CONFIRMATION)


def default_text(kind: MessageKind) -> str:
    """The built-in words of a push message of `kind` (a reminder: short, the day
    and time first, as a phone's lock screen shows two lines)."""
    if kind is MessageKind.REMINDER:
        return _("Your session ({service}) with {professional} is {day} at {time}.")
    return messages.default_text(kind)


def day_phrase(start: datetime, now: datetime) -> str:
    """"today", "tomorrow" or "Monday, 15/03/27" for a session starting at `start`
    (local), seen at `now` (same zone)."""
    days = (start.date() - now.date()).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return _("on {weekday}, {date}").format(
        weekday=i18n.format_date(start.date(), "EEEE"),
        date=i18n.format_date(start.date(), "short"))


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown field is left visible, as messages.render


def render(template: str, facts: messages.SessionFacts, day: str) -> str:
    try:
        return template.format_map(_Fields({**facts.fields(), "day": day}))
    except (ValueError, IndexError):  # stray braces in a template typed by hand
        return template


def compose(s: Session, msg: OutboxMessage, cfg: dict[str, str], now: datetime,
            a: Appointment, client: Client, staff: Staff, settings_row: PracticeSettings
            ) -> tuple[Outgoing | None, str | None]:
    """The push message to send now (to every live phone of the client), or why
    not. Called in the client's language (outbox.compose)."""
    assert client.id is not None
    devices = tuple(PushDevice(d.id or 0, d.endpoint, d.p256dh, d.auth)
                    for d in push_devices.live(s, client.id))
    # Why not is for the practice, not the client: kept in English (kept_text) and
    # said in the reader's language, not in the client's this is composed in.
    if not devices:
        with i18n.speaking("en"):
            return None, _("{name}'s phone no longer accepts notifications: they can turn "
                           "reminders on again from a link's page.").format(name=client.name)
    from app.services.relay_client import RelayNotConfigured, token_for

    try:
        with i18n.speaking("en"):
            token = token_for(s, a.id or 0)
    except (RelayNotConfigured, secrets.SecretsUnavailable) as exc:
        return None, str(exc)
    zone = ZoneInfo(settings_row.timezone)
    service = s.get(Service, a.service_id) if a.service_id else None
    link = f"{cfg['relay.url']}/c/{token}"
    facts = messages.SessionFacts(
        appointment_id=a.id or 0, name=client.name, first_name=client.name.split()[0],
        service=a.custom_service_name or (service.name if service else _("Session")),
        professional=staff.name, practice=settings_row.name,
        start=a.start.astimezone(zone),
        end=later_minutes(a.start, a.duration_minutes).astimezone(zone), link=link,
        address=settings_row.address)
    # The practice's own words for reminders, to clients reading its language
    # (messages.own_words_for); the reminder's own text filled as they are.
    own = msg.kind is MessageKind.REMINDER and messages.own_words_for(
        i18n.current_language(), messages.client_language("", settings_row.language,
                                                          settings_row.country))
    words = messages.choose_words(Channel.PUSH, default_text(msg.kind), custom=msg.custom_text,
                                  own=cfg["template.push.text"] if own else "")
    said = render(words.template, facts, day_phrase(facts.start, now.astimezone(zone)))
    payload: dict[str, object] = {
        "title": text.shorten(text.one_line(settings_row.name), TITLE_MAX),
        "body": text.shorten(text.sms_body(said), BODY_MAX),
        "url": link, "tag": f"session-{a.id}",
        "lang": i18n.current_language().replace("_", "-"),
        "expires": a.start.isoformat()}
    if msg.kind in ASKS_AN_ANSWER:
        payload["actions"] = [{"action": "confirm", "title": _("Confirm")},
                              {"action": "cancel", "title": _("Cancel")}]
    return Outgoing(to=PUSH_RECIPIENT, devices=devices,
                    text=json.dumps(payload, ensure_ascii=False), note=words.note), None


def settle(s: Session, p: Practice | None, now: datetime, outcome: object) -> None:
    """After a push send, in the unit of work that records it: phones the push
    service no longer knows are dropped (kept, with why), phones that took it
    are dated. `outcome`: what channels/push.send returned or raised (anything
    else: nothing to do)."""
    from app.models.push import PushSubscription

    for sub_id in push_channel.gone_of(outcome):
        found = s.get(PushSubscription, sub_id)
        if found is not None and found.dropped_at is None:
            push_devices.drop(s, found, now, "the push service no longer knows it (404/410)")
            audit.record(s, at=now, actor=p.actor if p else audit.SYSTEM, entity="client",
                         entity_id=found.client_id, action="push_dropped",
                         changes={"reason": "gone"})
    for sub_id in getattr(outcome, "accepted", ()):
        found = s.get(PushSubscription, sub_id)
        if found is not None:
            found.last_sent_at = now
            s.add(found)
