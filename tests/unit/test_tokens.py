"""Confirmation-link tokens: short, verifiable offline, and never forgeable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relay.tokens import InvalidToken, check_secret, mint, read

SECRET = b"k" * 40
START = datetime(2026, 11, 23, 13, tzinfo=UTC)


def test_round_trip_and_length() -> None:
    token = mint(SECRET, 4321, START)
    assert len(token) == 28 and token.isascii()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    link = read(SECRET, token)
    assert (link.appointment_id, link.expires) == (4321, START)
    assert not link.expired(START - timedelta(seconds=1))


def test_expired_at_the_session_start() -> None:
    link = read(SECRET, mint(SECRET, 1, START))
    assert link.expired(START) and link.expired(START + timedelta(days=1))


def test_other_secret_and_weak_secrets() -> None:
    with pytest.raises(InvalidToken):
        read(b"x" * 40, mint(SECRET, 1, START))
    with pytest.raises(ValueError):
        check_secret("short")


@given(st.integers(0, 27), st.integers(1, 255))
def test_any_changed_character_is_refused(position: int, delta: int) -> None:
    token = mint(SECRET, 77, START)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    changed = alphabet[(alphabet.index(token[position]) + delta) % len(alphabet)]
    forged = token[:position] + changed + token[position + 1:]
    if forged == token:
        return
    with pytest.raises(InvalidToken):
        read(SECRET, forged)


@given(st.text(max_size=80))
def test_arbitrary_text_never_verifies(text: str) -> None:
    with pytest.raises(InvalidToken):
        read(SECRET, text)
