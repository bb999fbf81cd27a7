"""The practice's non-secret configuration: integrations, default reminders and
message templates. Secrets (tokens, passwords) live in the keyring (secrets.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app import i18n
from app.i18n import _
from app.models.config_entry import ConfigEntry
from app.models.enums import Channel
from app.models.people import Role
from app.services import audit, versions
from app.services.errors import InvalidInput, NotAllowed
from app.services.events import Change
from app.services.practice import Practice
from app.services.values import (
    login_in_clear,
    normalize_email,
    spelled_with_letters,
    web_address,
)


def _url(value: str) -> str:
    return web_address(value)


def _port(value: str) -> str:
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise InvalidInput(_("'{value}' is not a port number.").format(value=value))
    return value.strip()


def _choice(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip().lower()
        if value not in choices:
            raise InvalidInput(_("Use one of: {choices}.").format(choices=", ".join(choices)))
        return value
    return check


def _text(value: str) -> str:
    return value.strip()


def _graph_id(value: str) -> str:
    """An id Meta's Graph API gives an object (a WhatsApp Business Account): digits."""
    value = value.strip()
    if not value.isdigit():
        raise InvalidInput(_("'{value}' is not an id as Meta writes them: only digits, as "
                             "WhatsApp Manager shows it (e.g. 102290129340398).")
                           .format(value=value))
    return value


def _email(value: str) -> str:
    return normalize_email(value)


def _names(value: str) -> str:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if any(len(n) > 40 for n in names):
        raise InvalidInput(_("A name in the list is longer than 40 characters."))
    return ",".join(dict.fromkeys(names))


def _channels(value: str) -> str:
    found = []
    for part in filter(None, (p.strip().lower() for p in value.split(","))):
        try:
            found.append(Channel(part).value)
        except ValueError:
            raise InvalidInput(_("Unknown channel '{value}': use whatsapp, email, sms, "
                                 "voice or push.")
                               .format(value=part)) from None
    return ",".join(dict.fromkeys(found))


def _phones(value: str) -> str:
    """Numbers written with their country code, so they mean the same everywhere."""
    import phonenumbers  # here: reading the configuration needs no phone metadata

    out = []
    for text in filter(None, (v.strip() for v in value.split(","))):
        try:
            number = phonenumbers.parse(text, None)
            valid = phonenumbers.is_valid_number(number) and not spelled_with_letters(text)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise InvalidInput(_("'{value}' is not a phone number with its country code "
                                 "(e.g. +55 11 3456-7890).").format(value=text))
        out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return ",".join(dict.fromkeys(out))


def _emails(value: str) -> str:
    return ",".join(dict.fromkeys(normalize_email(v) for v in value.split(",") if v.strip()))


def parse_reminders(value: str, *, strict: bool = False) -> list[tuple[Channel, int]]:
    """'whatsapp:1440,email:60' -> [(whatsapp, 1440), (email, 60)]. A reminder named
    twice is one reminder (InvalidInput when strict, as when the setting is saved)."""
    out: list[tuple[Channel, int]] = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        m = re.fullmatch(r"(whatsapp|email|sms|voice|push):(\d+)", part.lower())
        if not m:
            raise InvalidInput(_("Reminders are written channel:minutes, e.g. "
                                 "whatsapp:1440,email:60; '{part}' is not.").format(part=part))
        minutes = int(m.group(2))
        if not 5 <= minutes <= 14 * 24 * 60:
            raise InvalidInput(_("A reminder goes between 5 minutes and 14 days before."))
        reminder = (Channel(m.group(1)), minutes)
        if reminder in out:
            if strict:
                raise InvalidInput(_("The reminder {part} is listed twice: keep one.")
                                   .format(part=part))
            continue
        out.append(reminder)
    return out


def _reminders(value: str) -> str:
    return ",".join(f"{c.value}:{m}" for c, m in parse_reminders(value, strict=True))


def _clock_time(value: str) -> str:
    """A time of day as HH:MM (24 hours)."""
    m = re.fullmatch(r"([01]?\d|2[0-3]):?([0-5]\d)", value.strip())
    if not m:
        raise InvalidInput(_("'{value}' is not a time of day as HH:MM (e.g. 08:00).")
                           .format(value=value))
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _minutes_between(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if not value.isdigit() or not low <= int(value) <= high:
            raise InvalidInput(_("Write a number of minutes from {low} to {high}.")
                               .format(low=low, high=high))
        return str(int(value))
    return check


def _phone(value: str) -> str:
    """One number with its country code (a number the practice owns)."""
    found = _phones(value)
    if "," in found:
        raise InvalidInput(_("Write one phone number."))
    return found


def _template_languages(value: str) -> str:
    """The languages the WhatsApp template is approved in, as Meta writes them
    ("pt_BR", "en_US", "es"), the default first."""
    codes = [c.strip() for c in value.replace(";", ",").split(",") if c.strip()]
    wrong = [c for c in codes if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", c)]
    if wrong or not codes:
        raise InvalidInput(_("'{value}' is not a list of template languages as Meta writes "
                             "them, e.g. pt_BR, en_US.").format(value=value))
    return ",".join(dict.fromkeys(codes))


def _params(value: str) -> str:
    fields = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in fields if f not in TEMPLATE_FIELDS]
    if unknown:
        raise InvalidInput(_("Unknown template fields: {fields}. Known: {known}.").format(
            fields=", ".join(unknown), known=", ".join(TEMPLATE_FIELDS)))
    return ",".join(fields)


def _template(channel: Channel, what: Callable[[], str]) -> Callable[[str], str]:
    """The practice's own words for `channel`: refused (InvalidInput naming the
    brace or the field, and the fields it may use) when they cannot be filled, so
    a typo never reaches a client as "{first_name}". `what` names the words as
    Configurações › Notificações does, in the reader's language."""
    def check(value: str) -> str:
        from app.services import messages

        return messages.check_template(value.strip(), channel, what())
    return check


def _twilio_sid(value: str) -> str:
    """twilio_account.check_sid, imported when a value is checked: reading the
    configuration does not load the Twilio client (and requests with it)."""
    from app.services.channels import twilio_account

    return twilio_account.check_sid(value)


TEMPLATE_FIELDS = ("first_name", "name", "date", "time", "weekday", "professional",
                   "practice", "service")


@dataclass(frozen=True)
class Key:
    name: str
    default: str
    check: Callable[[str], str]


KEYS: dict[str, Key] = {k.name: k for k in (
    Key("whatsapp.api_base", "https://graph.facebook.com/v23.0", _url),
    Key("whatsapp.phone_number_id", "", _text),
    # The WhatsApp Business Account the number belongs to: its templates are read from it.
    Key("whatsapp.business_account_id", "", _graph_id),
    Key("whatsapp.template", "", _text),
    Key("whatsapp.language", "pt_BR", _template_languages),
    Key("whatsapp.params", "first_name,date,time", _params),
    Key("smtp.host", "", _text),
    Key("smtp.port", "587", _port),
    Key("smtp.security", "starttls", _choice("none", "starttls", "ssl")),
    Key("smtp.user", "", _text),
    Key("smtp.from", "", _email),
    Key("smtp.from_name", "", _text),
    # Conecta: the mailbox clients' e-mail replies arrive in (read over IMAP).
    Key("imap.host", "", _text),
    Key("imap.port", "993", _port),
    Key("imap.security", "ssl", _choice("ssl", "starttls", "none")),
    Key("imap.user", "", _text),
    Key("imap.folder", "INBOX", _text),
    Key("sms.api_base", "https://api.twilio.com", _url),
    Key("sms.account_sid", "", _twilio_sid),
    Key("sms.from", "", _text),
    # Reminders by phone call, through the SMS channel's Twilio account: the number
    # the call comes from (empty: the SMS number), the voice that speaks
    # (https://www.twilio.com/docs/voice/twiml/say/text-speech), the pause before a
    # call nobody answered is tried again, whether a second unanswered call falls
    # back to the client's next agreed channel, and the hours calls may ring in
    # the client's time (never wider than 08:00-20:00, voice_calls.py).
    Key("voice.from", "", _phone),
    Key("voice.voice", "Polly.Camila", _text),
    Key("voice.retry_minutes", "30", _minutes_between(5, 240)),
    Key("voice.fallback", "on", _choice("on", "off")),
    Key("voice.quiet_start", "08:00", _clock_time),
    Key("voice.quiet_end", "20:00", _clock_time),
    # Push: the practice's VAPID public key (RFC 8292), made with its private half
    # (the keyring's push.private_key) and given to the relay for the link's page.
    Key("push.public_key", "", _text),
    Key("reminders.default", "", _reminders),
    Key("reminders.confirm_button.whatsapp", "on", _choice("on", "off")),
    Key("reminders.confirm_button.email", "on", _choice("on", "off")),
    Key("template.email.subject", "",
        _template(Channel.EMAIL, lambda: _("E-mail subject"))),
    Key("template.email.text", "",
        _template(Channel.EMAIL, lambda: _("E-mail text"))),
    Key("template.email.html", "",
        _template(Channel.EMAIL, lambda: _("E-mail HTML"))),
    Key("template.sms.text", "",
        _template(Channel.SMS, lambda: _("SMS text"))),
    Key("template.voice.text", "",
        _template(Channel.VOICE, lambda: _("Reminder call words"))),
    Key("template.push.text", "",
        _template(Channel.PUSH, lambda: _("Phone notification text"))),
    Key("relay.url", "", _url),
    # The practice's id on the relay, as pairing learnt it (relay_pairing).
    Key("relay.practice_id", "", _text),
    # Conecta: the practice's own attendance types, and the numbers and addresses
    # attendances run on (Originado por), per channel.
    Key("conecta.types", "", _names),
    Key("conecta.originators.whatsapp", "", _phones),
    Key("conecta.originators.sms", "", _phones),
    Key("conecta.originators.voip", "", _phones),
    Key("conecta.originators.email", "", _emails),
    # The first run: finished or skipped (empty: not yet), and the reception staff
    # who, with the professionals, are the people who use the practice's computers.
    Key("setup.state", "", _choice("", "done", "skipped")),
    # The channels a new client is proposed as agreeing to, where clients are created.
    Key("clients.consent", "", _channels),
    Key("team.reception", "", _names),
    # "on": professionals read each other's sessions' internal notes (people.py).
    Key("notes.shared", "off", _choice("on", "off")),
)}


# The widest hours a reminder call may ring in (a call at dawn reminds nobody
# kindly); a practice may narrow them, never widen them.
CALLS_EARLIEST, CALLS_LATEST = "08:00", "20:00"


def calling_hours(cfg: Mapping[str, str]) -> tuple[str, str]:
    """The hours reminder calls may ring, as ("HH:MM", "HH:MM") in the practice's
    time: the practice's own, narrower or equal to 08:00-20:00. Raises
    InvalidInput when they are out of it or end before they start."""
    start, end = cfg["voice.quiet_start"], cfg["voice.quiet_end"]
    if start < CALLS_EARLIEST or end > CALLS_LATEST:
        raise InvalidInput(_("Reminder calls ring between {earliest} and {latest} at the "
                             "widest; choose hours inside those.").format(
            earliest=_clock(CALLS_EARLIEST), latest=_clock(CALLS_LATEST)))
    if start >= end:
        raise InvalidInput(_("The hours for calls end before they begin ({start}–{end}).")
                           .format(start=_clock(start), end=_clock(end)))
    return start, end


def _clock(hhmm: str) -> str:
    """A time kept as "HH:MM", as the language writes it ("20:00", "8:00 PM"); kept
    as it is when it is not one."""
    try:
        return i18n.format_time(time.fromisoformat(hhmm))
    except ValueError:
        return hhmm


def read_all(s: Session) -> dict[str, str]:
    stored = {e.key: e.value for e in s.exec(select(ConfigEntry))}
    return {name: stored.get(name, key.default) for name, key in KEYS.items()}


def read_one(s: Session, name: str) -> str:
    """Key `name`'s value (its default where never stored), read alone and without
    the ORM's work (~0.1 ms against ~0.8 for read_all): the lists ask for one key
    on every page a professional reads."""
    s.flush()  # what `s` holds unwritten is read too
    value = s.connection().execute(
        core_select(col(ConfigEntry.value)).where(col(ConfigEntry.key) == name)).scalar()
    return KEYS[name].default if value is None else str(value)


def get_all(p: Practice) -> dict[str, str]:
    with p.db.read() as s:
        return read_all(s)


def get(p: Practice, name: str) -> str:
    return get_all(p)[name]


def read_versions(s: Session) -> dict[str, int]:
    """Each key's version (versions.py); 0 for a key never stored."""
    stored = {e.key: e.version for e in s.exec(select(ConfigEntry))}
    return {name: stored.get(name, 0) for name in KEYS}


def get_with_versions(p: Practice) -> tuple[dict[str, str], dict[str, int]]:
    """The configuration as a form is filled from it, with each key's version to
    hand back to set_values(expected_versions=...) for the keys it shows."""
    with p.db.read() as s:
        return read_all(s), read_versions(s)


def set_value(p: Practice, name: str, value: str, *,
              expected_version: int | None = None) -> str:
    """expected_version: the key's version as the form was filled (0: not stored)."""
    expected = None if expected_version is None else {name: expected_version}
    return set_values(p, {name: value}, expected_versions=expected)[name]


def set_values(p: Practice, values: dict[str, str], *,
               expected_versions: Mapping[str, int] | None = None) -> dict[str, str]:
    """Check every value first, then save them all in one unit of work.
    expected_versions: key -> version as the form was filled (get_with_versions);
    a key changed by another since raises ChangedMeanwhile and nothing is saved.
    None: not checked (the command line, internal callers)."""
    clean: dict[str, str] = {}
    for name, value in values.items():
        if name not in KEYS:
            raise InvalidInput(_("Unknown configuration key '{key}'. Known keys: {keys}.")
                               .format(key=name, keys=", ".join(KEYS)))
        # An empty value puts the key back to its default.
        clean[name] = KEYS[name].check(value) if value.strip() else KEYS[name].default
    if "notes.shared" in clean and p.person is not None and \
            p.person.role is not Role.PROFESSIONAL:
        raise NotAllowed(_("Only a professional can change who reads internal notes. "
                           "Nothing was changed."))
    with p.db.write() as s:
        versions.refuse_if_keys_changed(s, p.clock.now(), versions=read_versions(s),
                                        expected=dict(expected_versions or {}))
        changes: dict[str, list[str]] = {}
        for name, value in clean.items():
            entry = s.get(ConfigEntry, name)
            old = entry.value if entry else KEYS[name].default
            if entry is None:
                s.add(ConfigEntry(key=name, value=value))
            else:
                entry.value = value
            if old != value:
                changes[name] = [old, value]
        s.flush()
        merged = read_all(s)
        for service in ("smtp", "imap"):
            problem = login_in_clear(merged, service)
            if problem and any(n.startswith(f"{service}.") for n in clean):
                raise InvalidInput(problem)  # nothing saved: the unit of work rolls back
        if any(n.startswith("voice.quiet_") for n in clean):
            calling_hours(merged)  # InvalidInput: nothing saved
        if changes:
            audit.record(s, at=p.clock.now(), actor=p.actor, entity="config", entity_id=None,
                         action="config_changed", changes=changes)
    p.bus.publish(Change.of(settings=True))
    return clean
