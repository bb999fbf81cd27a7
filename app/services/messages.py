"""What a message says: the facts of a session and the templates that use them.
Templates name fields in braces: {first_name}, {date}, {time}, {weekday},
{professional}, {practice}, {service}, {name}; {link} is the confirmation page."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.i18n import _, format_date, format_time
from app.models.instants import later_minutes
from app.models.outbox import MessageKind


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

    def fields(self) -> dict[str, str]:
        return {"first_name": self.first_name, "name": self.name, "service": self.service,
                "professional": self.professional, "practice": self.practice,
                "date": format_date(self.start.date(), "short"),
                "weekday": format_date(self.start.date(), "EEEE"),
                "time": format_time(self.start), "link": self.link or ""}


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown field is left visible, not an error


def render(template: str, facts: SessionFacts, escape: bool = False) -> str:
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


def html_body(text: str, link: str | None, button: str) -> str:
    """A small, accessible HTML version of the text, with the confirm button."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    action = ""
    if link:
        action = (f'<p><a href="{html.escape(link)}" style="display:inline-block;'
                  f'padding:10px 18px;background:#2563eb;color:#ffffff;border-radius:6px;'
                  f'text-decoration:none;font-weight:600">{html.escape(button)}</a></p>')
    return (f'<!doctype html><html><body style="font-family:Arial,sans-serif;color:#0f172a">'
            f"{paragraphs}{action}</body></html>")


def sample(practice: str, professional: str, zone: ZoneInfo, now: datetime) -> SessionFacts:
    """A session to preview templates with: next Monday at 10:00."""
    from datetime import time, timedelta

    day = (now.astimezone(zone) + timedelta(days=7 - now.astimezone(zone).weekday())).date()
    start = datetime.combine(day, time(10), tzinfo=zone)
    return SessionFacts(appointment_id=0, name="Maria Silva", first_name="Maria",
                        service=_("Session"), professional=professional, practice=practice,
                        start=start, end=later_minutes(start, 50),
                        link="https://relay.example/c/…")
