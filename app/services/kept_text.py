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
from app.models.search_text import search_key
from app.models.shown_text import free_text, in_json, one_line


def _own_words(value: str) -> str:
    """The app's own sentence, kept in English to be said in the reader's language
    (i18n.from_english); anything else as free text."""
    return i18n.to_english(free_text(value)) or ""


Rule = Callable[[str], str]

# Keyed by table name (`__tablename__`), not by class: this module then builds no
# table, so a command that reads sessions does not build Conecta's or the outbox's
# tables (a table's class exists only once its module is imported, and a row of it
# can be written only then). tests/unit/test_kept_text.py checks every name here
# is a table with these columns.
FIELDS: dict[str, dict[str, Rule]] = {
    "client": {"name": one_line, "notes": free_text},
    "service": {"name": one_line},
    "staff": {"name": one_line},
    "practice_settings": {"name": one_line},
    "appointment": {"notes": free_text, "internal_notes": free_text,
                    "cancellation_reason": _own_words},
    "client_request": {"reason": free_text},
    "attendance": {"name": one_line, "subject": one_line, "notes": free_text},
    "conversation_entry": {"body": free_text, "subject": one_line, "author": one_line,
                           "error": _own_words},
    "message_template": {"name": one_line, "body": free_text, "parameter_labels": free_text,
                         "status_reason": one_line},
    "outbox": {"custom_text": free_text, "last_error": _own_words},
    "delivery_attempt": {"detail": _own_words},
    "channel_check": {"said": _own_words},
    "audit_event": {"changes": in_json},
}


# Tables whose rows are found by a search of their name or e-mail.
SEARCHED: frozenset[str] = frozenset({"client", "attendance"})


def rules(table: type[Any]) -> Mapping[str, Rule]:
    """The rule for each kept text column of `table` (a table class); {} for a
    table with none."""
    return FIELDS.get(getattr(table, "__tablename__", ""), {})


def searched(table: type[Any]) -> bool:
    """Whether rows of `table` carry a search_key (app.models.search_text)."""
    return getattr(table, "__tablename__", "") in SEARCHED


def _kept(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        table = type(row)
        for name, rule in rules(table).items():
            value = getattr(row, name, None)
            if isinstance(value, str):
                kept = rule(value)
                if kept != value:
                    setattr(row, name, kept)
        if searched(table):
            key = search_key(row.name, row.email)
            if row.search_key != key:
                row.search_key = key


def with_search_key(table: type[Any], row: Mapping[str, object]) -> Mapping[str, object]:
    """A row written past the ORM (a bulk insert) with the search key the ORM would
    give it (its other columns are kept by `rules(table)` as they are written)."""
    if not searched(table) or "name" not in row:
        return row
    name, email = row["name"], row.get("email")
    kept_name = rules(table)["name"](name) if isinstance(name, str) else None
    return {**row, "search_key": search_key(kept_name,
                                            email if isinstance(email, str) else None)}


def install() -> None:
    """Once per process: every session's rows are kept so before they are written."""
    if not event.contains(Session, "before_flush", _kept):
        event.listen(Session, "before_flush", _kept)
