"""What clients write reaches the terminal as text, never as commands to it:
`practice requests`, `practice conecta list` and `practice conecta show` print a
client's reason, a WhatsApp message and a sender's profile name holding a screen
clear (ESC [2J), a window retitle (OSC … BEL), a bare carriage return and a
right-to-left override. Through the doors they come in by, those characters are
not kept (app.models.shown_text) and a line break only ever starts an indented
line; in rows an older version kept, they are shown (\\x1b, \\u202e). The bytes
are read as the terminal would get them (no newline translation, which would hide
a carriage return)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app.services import attendances, scheduling
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local
from tests.outside import TERMINAL, asks_to_cancel, writes_on_whatsapp

SHOWN = "Oi\\x1b[2J\\x1b]0;pwned\\x07 tudo bem?\\x0dFALSO"  # TERMINAL, as printed
KEPT = "Oi[2J]0;pwned tudo bem?\n      FALSO"  # TERMINAL as kept and printed
RAW = (b"\x1b", b"\x07", b"\r", b"\x9b", "\u202e".encode())
RLO = "\u202e"  # right-to-left override: reverses what follows it on screen


def run(data_dir: Path, *args: str) -> bytes:
    """A command's stdout, as bytes; it must succeed."""
    env = {**os.environ, "PRACTICE_NOW": "2026-11-20T12:00:00Z", "LANGUAGE": "en"}
    done = subprocess.run([sys.executable, "-m", "app", *args, "--data-dir", str(data_dir)],
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def assert_neutral(out: bytes) -> str:
    for byte in RAW:
        assert byte not in out, (byte, out)
    return out.decode()


@pytest.fixture
def written(practice: Practice) -> int:
    """A cancellation asked for with a hostile reason, and a WhatsApp message whose
    text and sender's profile name are hostile; returns the message's card."""
    session = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-24T10:00"),
        service_id=add_service(practice)))
    asks_to_cancel(practice, session, TERMINAL + RLO)
    writes_on_whatsapp(practice, TERMINAL + RLO, profile=f"Zé\x1b]0;pwned\x07\r{RLO}Ana")
    [card] = attendances.cards(practice, attendances.Filter())
    return card.id


@pytest.fixture
def kept_before(practice: Practice, written: int) -> int:
    """The same rows as an older version kept them, control characters and all."""
    with practice.db.write() as s:
        for table, column in (("client_request", "reason"), ("conversation_entry", "body")):
            s.execute(text(f"UPDATE {table} SET {column} = :v"), {"v": TERMINAL + RLO})
        s.execute(text("UPDATE attendance SET name = :v"),
                  {"v": f"Zé\x1b]0;pwned\x07\r{RLO}Ana"})
    return written


def test_requests_prints_a_clients_reason_escaped(practice: Practice, data_dir: Path,
                                                  written: int) -> None:
    shown = assert_neutral(run(data_dir, "requests"))
    assert KEPT in shown and "cancel" in shown


def test_rows_kept_before_are_printed_escaped(practice: Practice, data_dir: Path,
                                             kept_before: int) -> None:
    assert SHOWN + "\\u202e" in assert_neutral(run(data_dir, "requests"))
    assert "Zé\\x1b]0;pwned\\x07\\x0d\\u202eAna" in assert_neutral(
        run(data_dir, "conecta", "list"))
    shown = assert_neutral(run(data_dir, "conecta", "show", str(kept_before)))
    assert SHOWN + "\\u202e" in shown
    # The machine-readable form keeps the words, escaped as JSON does.
    as_json = assert_neutral(run(data_dir, "conecta", "show", str(kept_before), "--json"))
    assert "\\u001b[2J" in as_json and "\\r" in as_json and "\\u202e" in as_json
    json.loads(as_json)


def test_conecta_list_prints_a_profile_name_and_message_escaped(
        practice: Practice, data_dir: Path, written: int) -> None:
    shown = assert_neutral(run(data_dir, "conecta", "list"))
    assert "Zé]0;pwned Ana" in shown


def test_conecta_show_prints_the_thread_escaped(practice: Practice, data_dir: Path,
                                                written: int) -> None:
    shown = assert_neutral(run(data_dir, "conecta", "show", str(written)))
    assert "Zé]0;pwned Ana" in shown and KEPT in shown
    # A line break in the message never starts a line of the listing's own.
    assert not any(line.startswith("FALSO") for line in shown.splitlines())
