"""Every name, note, reason and message is kept as app.models.shown_text says,
whatever door it came in by (the window, the command line, an import, the relay,
WhatsApp, SMS, e-mail): one rule applied to each row as it is written. Rows people
search by name also get their folded `search_key` (app.models.search_text) then."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app import i18n
from app.models.conecta import Attendance, ConversationEntry, MessageTemplate
from app.models.outbox import ChannelCheck, DeliveryAttempt, OutboxMessage
from app.models.requests import ClientRequest
from app.models.search_text import search_key
from app.models.shown_text import free_text, in_json, one_line
from app.models.tables import Appointment, AuditEvent, Client, PracticeSettings, Service, Staff


def _own_words(value: str) -> str:
    """The app's own sentence, kept in English to be said in the reader's language
    (i18n.from_english); anything else as free text."""
    return i18n.to_english(free_text(value)) or ""


FIELDS: dict[type[Any], dict[str, Callable[[str], str]]] = {
    Client: {"name": one_line, "notes": free_text},
    Service: {"name": one_line},
    Staff: {"name": one_line},
    PracticeSettings: {"name": one_line},
    Appointment: {"notes": free_text, "internal_notes": free_text,
                  "cancellation_reason": _own_words},
    ClientRequest: {"reason": free_text},
    Attendance: {"name": one_line, "subject": one_line, "notes": free_text},
    ConversationEntry: {"body": free_text, "subject": one_line, "author": one_line,
                        "error": _own_words},
    MessageTemplate: {"name": one_line, "body": free_text, "parameter_labels": free_text,
                      "status_reason": one_line},
    OutboxMessage: {"custom_text": free_text, "last_error": _own_words},
    DeliveryAttempt: {"detail": _own_words},
    ChannelCheck: {"said": _own_words},
    AuditEvent: {"changes": in_json},
}


# Rows found by a search of their name or e-mail.
SEARCHED: tuple[type[Any], ...] = (Client, Attendance)


def _kept(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        for name, rule in FIELDS.get(type(row), {}).items():
            value = getattr(row, name, None)
            if isinstance(value, str):
                kept = rule(value)
                if kept != value:
                    setattr(row, name, kept)
        if isinstance(row, SEARCHED):
            key = search_key(row.name, row.email)
            if row.search_key != key:
                row.search_key = key


def kept_row(table: type[Any], row: Mapping[str, object]) -> Mapping[str, object]:
    """A row written past the ORM (a bulk insert), kept by the same rules."""
    rules = FIELDS.get(table, {})
    kept = {k: rules[k](v) if k in rules and isinstance(v, str) else v for k, v in row.items()}
    if table in SEARCHED and "name" in kept:
        name, email = kept["name"], kept.get("email")
        kept["search_key"] = search_key(name if isinstance(name, str) else None,
                                        email if isinstance(email, str) else None)
    return kept


def install() -> None:
    """Once per process: every session's rows are kept so before they are written."""
    if not event.contains(Session, "before_flush", _kept):
        event.listen(Session, "before_flush", _kept)
