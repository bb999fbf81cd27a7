"""What a message says: the facts of a session and the templates that use them.
Templates name fields in braces: {first_name}, {date}, {time}, {weekday},
{professional}, {practice}, {service}, {name}, {address}, {policy}; {link} is the
confirmation page.

Everything here speaks the language active in the calling thread: the outbox
renders a client's message inside i18n.speaking(the client's language)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.i18n import _, current_language, format_date, format_money, format_time
from app.models.enums import Channel
from app.models.instants import later_minutes
from app.models.outbox import MessageKind
from app.services.errors import InvalidInput

# Where the practice's own language is Portuguese when it chose none.
PORTUGUESE_COUNTRIES = frozenset({"BR", "PT", "AO", "MZ", "CV", "GW", "ST", "TL"})


def client_language(client_language: str, practice_language: str, country: str) -> str:
    """The language a client's messages are written in: theirs, else the practice's
    (its setting, else its country's), never the sending computer's."""
    if client_language:
        return client_language
    if practice_language:
        return practice_language
    return "pt_BR" if country.upper() in PORTUGUESE_COUNTRIES else "en"


def template_language(approved: str, language: str) -> str:
    """Which language of the practice's approved WhatsApp template to send: `approved`
    lists the languages Meta approved it in, the practice's first ("pt_BR,en_US"), as
    Meta names them (WhatsApp Cloud API, template language codes); `language` is the
    client's ("en", "pt_BR"). The client's own when the template has it (an exact code,
    else the same language of another country), else the first. Meta refuses a
    template in a language it was not approved in (error 132001), so none is guessed."""
    codes = [c.strip() for c in approved.split(",") if c.strip()]
    if not codes:
        return "pt_BR"
    wanted = language.replace("-", "_")
    for code in codes:
        if code.lower() == wanted.lower():
            return code
    base = wanted.split("_")[0].lower()
    return next((c for c in codes if c.split("_")[0].lower() == base), codes[0])


def same_language(a: str, b: str) -> bool:
    """Whether two language codes ("pt_BR", "pt", "en-US") are one language."""
    return a.replace("-", "_").split("_")[0].lower() == b.replace("-", "_").split("_")[0].lower()


def own_words_for(client: str, practice: str) -> bool:
    """The rule for the practice's own templates: they go to clients whose messages
    are in the practice's language (`client`, `practice` as client_language() gives
    them); a client in another language gets the built-in words in theirs (the
    practice wrote one text, in its own language)."""
    return same_language(client, practice)


# The fields each channel's words may name (the session's facts, SessionFacts.fields):
# a call has no link to read out, a phone notification carries the link itself and
# says the day as "today" / "tomorrow" ({day}, push_message.day_phrase).
_COMMON = ("first_name", "name", "date", "time", "weekday", "professional", "practice",
           "service", "address")
CHANNEL_FIELDS: dict[Channel, tuple[str, ...]] = {
    Channel.EMAIL: (*_COMMON, "policy", "link"),
    Channel.SMS: (*_COMMON, "policy", "link"),
    Channel.WHATSAPP: (*_COMMON, "policy", "link"),
    Channel.VOICE: (*_COMMON, "policy"),
    Channel.PUSH: (*_COMMON, "day"),
}


def template_problem(template: str, fields: Sequence[str]) -> str | None:
    """Why `template` cannot be filled (None when it can): a brace not closed, a
    stray "}", or a field not in `fields`. A brace itself is written doubled ("{{",
    "}}"), as Python's str.format reads it
    (https://docs.python.org/3/library/string.html#format-string-syntax); a field is
    only a name, without a format spec or conversion. The sentence names the brace
    or the field and the fields `fields` allows."""
    allowed = ", ".join("{" + f + "}" for f in fields)
    i, n = 0, len(template)
    while i < n:
        char = template[i]
        if char in "{}" and template[i + 1:i + 2] == char:
            i += 2  # a brace written doubled stands for itself
            continue
        if char == "}":
            return _("A “}}” closes nothing in “{near}”: write fields as {{time}}, or "
                     "“}}}}” for a brace itself. Fields you may use: {fields}.").format(
                near=_near(template, i), fields=allowed)
        if char == "{":
            end = template.find("}", i + 1)
            opened = template.find("{", i + 1)
            if end < 0 or 0 <= opened < end:
                return _("A brace is not closed in “{near}”: write fields as {{time}}, or "
                         "“{{{{” for a brace itself. Fields you may use: {fields}.").format(
                    near=_near(template, i), fields=allowed)
            name = template[i + 1:end]
            if name.strip() not in fields:
                return _("{{{name}}} is not a field these words can fill. Fields you may "
                         "use: {fields}.").format(name=name, fields=allowed)
            if name != name.strip():
                return _("Write the field {{{name}}} without spaces inside the braces.")\
                    .format(name=name.strip())
            i = end + 1
            continue
        i += 1
    return None


def _near(template: str, at: int) -> str:
    """The words around position `at` (whole words), for a sentence pointing at it."""
    start = template.rfind(" ", 0, at - 12) + 1 if at > 12 else 0
    end = template.find(" ", at + 20)
    end = len(template) if end < 0 else end
    return ("…" if start else "") + " ".join(template[start:end].split()) + \
        ("…" if end < len(template) else "")


def check_template(template: str, channel: Channel, what: str) -> str:
    """`template` when every field in it can be filled on `channel`; InvalidInput
    naming `what` (the words' name, e.g. "SMS text") and the problem otherwise."""
    problem = template_problem(template, CHANNEL_FIELDS[channel])
    if problem:
        raise InvalidInput(_("{what}: {problem}").format(what=what, problem=problem))
    return template


@dataclass(frozen=True)
class Words:
    """Which words a message says: `template` to fill, and `note` for the practice
    (kept in English, said in the reader's language) when the built-in words went
    in place of words that could not be read; "" otherwise."""

    template: str
    note: str = ""


def choose_words(channel: Channel, built_in: str, *, own: str = "",
                 custom: str | None = None) -> Words:
    """A message's words: the reminder's own text (`custom`, Lembretes › Texto
    próprio) when it has one, else the practice's template (`own`; the caller
    passes "" where the language rule, own_words_for, gives the built-in words),
    else `built_in`. Words saved before they were checked that still cannot be
    filled never reach a client: `built_in` goes, and the note says why."""
    from app import i18n

    notes: list[str] = []
    for given, whose in ((custom, "custom"), (own, "own")):
        if not given or not given.strip():
            continue
        if template_problem(given, CHANNEL_FIELDS[channel]) is None:
            return Words(given, " ".join(notes))
        with i18n.speaking("en"):
            problem = template_problem(given, CHANNEL_FIELDS[channel]) or ""
            notes.append((_("The reminder's own text could not be read, so other words "
                            "went instead. {problem}") if whose == "custom" else
                          _("The practice's own words for this channel could not be read, "
                            "so the built-in words went instead. {problem}"))
                         .format(problem=problem))
    return Words(built_in, " ".join(notes))


def check_own_text(text: str | None, channel: Channel) -> str | None:
    """A reminder's own text (Lembretes › Texto próprio) as it is kept: None when
    empty; InvalidInput with the same sentence as a template's when its fields
    cannot be filled on `channel` (for reminders.add, before anything is saved)."""
    if text is None or not text.strip():
        return None
    return check_template(text.strip(), channel, _("The reminder's own text"))


def policy_line(notice_minutes: int, fee_cents: int, currency: str) -> str:
    """The cancellation policy in one line, for the client."""
    hours = max(1, notice_minutes // 60)
    if fee_cents:
        return _("Cancellations with less than {hours} h notice are charged {fee}.").format(
            hours=hours, fee=format_money(fee_cents, currency))
    return _("To cancel or move your session, please let us know {hours} h before.").format(
        hours=hours)


@dataclass(frozen=True)
class SessionFacts:
    appointment_id: int
    name: str
    first_name: str
    service: str
    professional: str
    practice: str
    start: datetime  # local
    end: datetime
    link: str | None = None
    address: str = ""  # where the session happens
    policy: str = ""  # policy_line()

    def fields(self) -> dict[str, str]:
        return {"first_name": self.first_name, "name": self.name, "service": self.service,
                "professional": self.professional, "practice": self.practice,
                "date": format_date(self.start.date(), "short"),
                "weekday": format_date(self.start.date(), "EEEE"),
                "time": format_time(self.start), "link": self.link or "",
                "address": self.address, "policy": self.policy}


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown field is left visible, not an error


def render(template: str, facts: SessionFacts, escape: bool = False) -> str:
    """`template` with the session's fields filled (HTML-escaped when `escape`).
    Words that cannot be read (template_problem) are for the sender to replace
    with the built-in ones before they reach a client; here they stay as typed
    (the preview shows them so)."""
    fields = facts.fields()
    if escape:
        fields = {k: html.escape(v) for k, v in fields.items()}
    try:
        return template.format_map(_Safe(fields))
    except (ValueError, IndexError):  # stray braces in a template typed by hand
        return template


def default_subject(kind: MessageKind) -> str:
    return {
        MessageKind.REMINDER: _("Reminder: your session on {date} at {time}"),
        MessageKind.CONFIRMATION: _("Session confirmed: {date} at {time}"),
        MessageKind.CANCELLATION: _("Session cancelled: {date} at {time}"),
        MessageKind.RESCHEDULE: _("Session moved to {date} at {time}"),
        MessageKind.TEST: _("Test message from {practice}"),
    }[kind]


def default_text(kind: MessageKind) -> str:
    return {
        MessageKind.REMINDER: _("Hello {first_name}, this is a reminder of your session "
                                "({service}) with {professional} on {weekday}, {date} at "
                                "{time}. — {practice}"),
        MessageKind.CONFIRMATION: _("Hello {first_name}, your session ({service}) with "
                                    "{professional} on {weekday}, {date} at {time} is "
                                    "confirmed. — {practice}"),
        MessageKind.CANCELLATION: _("Hello {first_name}, your session ({service}) on "
                                    "{weekday}, {date} at {time} has been cancelled. Get in "
                                    "touch to book another time. — {practice}"),
        MessageKind.RESCHEDULE: _("Hello {first_name}, your session ({service}) with "
                                  "{professional} has moved to {weekday}, {date} at {time}. "
                                  "— {practice}"),
        MessageKind.TEST: _("This is a test message from {practice}. If you can read it, "
                            "the channel works."),
    }[kind]


def heading(kind: MessageKind) -> str:
    return {
        MessageKind.REMINDER: _("Reminder of your session"),
        MessageKind.CONFIRMATION: _("Your session is confirmed"),
        MessageKind.CANCELLATION: _("Your session was cancelled"),
        MessageKind.RESCHEDULE: _("Your session has a new time"),
        MessageKind.TEST: _("Test message"),
    }[kind]


def plain_email(kind: MessageKind, facts: SessionFacts, text: str) -> str:
    """The plain-text part: the message, then the same facts the HTML shows."""
    lines = [text.strip(), ""]
    if kind is not MessageKind.TEST:
        when = f"{format_date(facts.start.date(), 'full')}, {format_time(facts.start)}–" \
               f"{format_time(facts.end)}"
        lines += [_("When: {when}").format(when=when),
                  _("With: {professional}").format(professional=facts.professional),
                  _("Service: {service}").format(service=facts.service)]
        if facts.address:
            lines.append(_("Where: {address}").format(address=facts.address))
        lines.append("")
        if facts.link and kind in (MessageKind.REMINDER, MessageKind.RESCHEDULE,
                                   MessageKind.CONFIRMATION) and facts.link not in text:
            lines += [_("Confirm or cancel: {link}").format(link=facts.link), ""]
        if facts.policy and kind is not MessageKind.CANCELLATION:
            lines += [facts.policy, ""]
    lines.append(f"— {facts.practice}")
    return "\n".join(lines).strip() + "\n"


def sms_text(kind: MessageKind, facts: SessionFacts, text: str) -> str:
    """An SMS: the message, then the session's confirmation link when it has one
    and the message does not carry it already (an SMS has no button)."""
    if facts.link and kind in (MessageKind.REMINDER, MessageKind.RESCHEDULE,
                               MessageKind.CONFIRMATION) and facts.link not in text:
        return f"{text.strip()}\n" + _("Confirm or cancel: {link}").format(link=facts.link)
    return text


_CSS = """
body{margin:0;padding:0;background:#f1f5f9;-webkit-text-size-adjust:100%}
.outer{background:#f1f5f9}
.card{background:#ffffff;color:#0f172a;border-radius:12px}
.muted{color:#64748b}
.when{color:#0f172a}
.secondary{color:#2563eb!important;border:1px solid #cbd5e1!important;background:#ffffff!important}
@media (prefers-color-scheme: dark){
 body,.outer{background:#0b1120!important}
 .card{background:#1e293b!important;color:#e2e8f0!important}
 .when{color:#f8fafc!important}
 .muted{color:#94a3b8!important}
 .secondary{background:#1e293b!important;color:#93c5fd!important;border-color:#475569!important}
}
@media (max-width:480px){
 .pad{padding:22px 18px!important}
 .day{font-size:21px!important}
 .button{display:block!important;text-align:center!important;margin:0 0 10px 0!important}
}
"""


def html_email(kind: MessageKind, facts: SessionFacts, text: str, *,
               buttons: bool = True) -> str:
    """The e-mail as the client sees it: the practice's name, a heading, the
    message, the day and time large, who and where, *Confirmar* / *Cancelar*
    when the session has a link, the cancellation policy in one line. Inline
    styles for mail programs that drop <style>; the stylesheet adds a phone's
    width and dark mode. No image, nothing loaded from elsewhere. Every outside
    text (names, the practice's own words) is escaped."""
    e = html.escape
    paragraphs = "".join(f'<p style="margin:0 0 14px;font-size:16px;line-height:1.5">'
                         f"{e(p)}</p>" for p in text.split("\n") if p.strip())
    details = ""
    if kind is not MessageKind.TEST:
        struck = kind is MessageKind.CANCELLATION
        deco = "text-decoration:line-through;" if struck else ""
        rows = [(_("With"), facts.professional), (_("Service"), facts.service)]
        if facts.address:
            rows.append((_("Where"), facts.address))
        cells = "".join(
            f'<tr><td class="muted" style="padding:4px 12px 4px 0;font-size:14px;'
            f'color:#64748b;vertical-align:top;white-space:nowrap">{e(k)}</td>'
            f'<td style="padding:4px 0;font-size:15px">{e(v)}</td></tr>' for k, v in rows)
        details = (
            f'<div style="border-top:1px solid #e2e8f0;border-bottom:1px solid #e2e8f0;'
            f'padding:18px 0;margin:6px 0 20px">'
            f'<div class="day when" style="font-size:24px;font-weight:700;line-height:1.25;'
            f'{deco}">{e(format_date(facts.start.date(), "full"))}</div>'
            f'<div class="when" style="font-size:20px;font-weight:600;margin:4px 0 12px;{deco}">'
            f"{e(format_time(facts.start))}–{e(format_time(facts.end))}</div>"
            f'<table role="presentation" cellpadding="0" cellspacing="0">{cells}</table></div>')
    actions = ""
    if buttons and facts.link and kind in (MessageKind.REMINDER, MessageKind.RESCHEDULE,
                                           MessageKind.CONFIRMATION):
        link = e(facts.link)
        confirm, other = e(_("Confirm")), e(_("Cancel or reschedule"))
        first = "" if kind is MessageKind.CONFIRMATION else (
            f'<a class="button" href="{link}" style="display:inline-block;padding:12px 22px;'
            f"margin:0 10px 10px 0;background:#2563eb;color:#ffffff;border-radius:8px;"
            f'text-decoration:none;font-weight:600;font-size:16px">{confirm}</a>')
        actions = (
            f'<div style="margin:0 0 18px">{first}'
            f'<a class="button secondary" href="{link}" style="display:inline-block;'
            f"padding:11px 21px;margin:0 0 10px 0;background:#ffffff;color:#2563eb;"
            f"border:1px solid #cbd5e1;border-radius:8px;text-decoration:none;"
            f'font-weight:600;font-size:16px">{other}</a></div>')
    policy = ""
    if facts.policy and kind is not MessageKind.CANCELLATION:
        policy = (f'<p class="muted" style="margin:0 0 8px;font-size:13px;color:#64748b;'
                  f'line-height:1.5">{e(facts.policy)}</p>')
    return (
        f'<!doctype html><html lang="{e(current_language().replace("_", "-"))}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width,'
        f'initial-scale=1"><meta name="color-scheme" content="light dark">'
        f'<meta name="supported-color-schemes" content="light dark">'
        f"<title>{e(heading(kind))}</title><style>{_CSS}</style></head>"
        f'<body style="margin:0;padding:0;background:#f1f5f9">'
        f'<table role="presentation" class="outer" width="100%" cellpadding="0" '
        f'cellspacing="0" style="background:#f1f5f9"><tr><td align="center" '
        f'style="padding:24px 12px">'
        f'<table role="presentation" class="card" width="100%" cellpadding="0" '
        f'cellspacing="0" style="max-width:560px;background:#ffffff;color:#0f172a;'
        f'border-radius:12px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,'
        f'sans-serif"><tr><td class="pad" style="padding:30px 34px">'
        f'<p style="margin:0 0 18px;font-size:14px;font-weight:700;color:#2563eb;'
        f'letter-spacing:.02em">{e(facts.practice)}</p>'
        f'<h1 style="margin:0 0 16px;font-size:22px;line-height:1.3">{e(heading(kind))}</h1>'
        f"{paragraphs}{details}{actions}{policy}"
        f"</td></tr></table>"
        f'<p class="muted" style="margin:16px 0 0;font-size:12px;color:#64748b;'
        f'font-family:Helvetica,Arial,sans-serif">{e(facts.practice)}</p>'
        f"</td></tr></table></body></html>")


def sample(practice: str, professional: str, zone: ZoneInfo, now: datetime) -> SessionFacts:
    """A session to preview templates with: next Monday at 10:00."""
    from datetime import time, timedelta

    day = (now.astimezone(zone) + timedelta(days=7 - now.astimezone(zone).weekday())).date()
    start = datetime.combine(day, time(10), tzinfo=zone)
    return SessionFacts(appointment_id=0, name="Maria Silva", first_name="Maria",
                        service=_("Session"), professional=professional, practice=practice,
                        start=start, end=later_minutes(start, 50),
                        link="https://relay.example/c/…")
