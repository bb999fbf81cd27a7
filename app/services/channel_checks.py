"""The last check of each channel from Integrações and what came of it.

Every Testar and Conectar (WhatsApp, e-mail sending, the reply mailbox, SMS, the
relay's links) goes through `checked()`, which runs the check and records its
outcome, so the overview can say when each channel was last tried and whether it
worked. A check's sentence is kept in English and said in the reader's language
(kept_text), like every sentence of the app's stored with the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel import select

from app import i18n
from app.models.outbox import ChannelCheck
from app.services.errors import PracticeError
from app.services.events import Change
from app.services.practice import Practice

# What can be checked: the channels, the mailbox Conecta reads replies from, the
# confirmation links (the relay), phone calls (voice_calls.test_call) and
# notifications on clients' phones (push_keys.check).
CHECKED = ("whatsapp", "email", "imap", "sms", "links", "voice", "push")

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    channel: str  # one of CHECKED
    at: datetime  # UTC instant
    ok: bool
    said: str  # what the check found, in the reader's language


def record(p: Practice, channel: str, ok: bool, said: str) -> Check:
    """Records a check of `channel` (one of CHECKED; ValueError otherwise), replacing
    the one before. `said`: one sentence for the person, in the current language."""
    if channel not in CHECKED:
        raise ValueError(f"unknown channel to check: {channel!r}")
    at = p.clock.now()
    with p.db.write() as s:
        row = s.get(ChannelCheck, channel)
        if row is None:
            s.add(ChannelCheck(channel=channel, at=at, ok=ok, said=said))
        else:
            row.at, row.ok, row.said = at, ok, said
    p.bus.publish(Change.of(settings=True))
    return Check(channel, at, ok, said)


def checked(p: Practice, channel: str, check: Callable[[], T],
            said: Callable[[T], str]) -> T:
    """Runs `check`, records what came of it and gives back its result. A
    PracticeError (an expected failure with its sentence) is recorded as the
    check's failure and raised again; anything unexpected is not recorded.
    said(result): the sentence recorded for a success."""
    try:
        result = check()
    except PracticeError as exc:
        record(p, channel, False, str(exc))
        raise
    record(p, channel, True, said(result))
    return result


def latest(p: Practice) -> dict[str, Check]:
    """The last check of each channel that was ever checked, by channel."""
    with p.db.read() as s:
        rows = s.exec(select(ChannelCheck)).all()
        return {r.channel: Check(r.channel, r.at, r.ok, i18n.from_english(r.said) or "")
                for r in rows}
