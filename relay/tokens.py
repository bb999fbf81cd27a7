"""Confirmation-link tokens, shared by the desktop (which mints them offline) and
the relay (which verifies them, keeping no list). Standard library only.

A token is base64url(version, appointment id, expiry as Unix seconds, the first
12 bytes of HMAC-SHA256 over those) — 28 characters, short enough for a WhatsApp
URL button's dynamic suffix. The expiry is the session's start."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = 1
MAC_BYTES = 12
_BODY = struct.Struct(">BII")
MIN_SECRET_LENGTH = 32


class InvalidToken(ValueError):
    """Tampered, truncated, or signed with another secret."""


@dataclass(frozen=True)
class Link:
    appointment_id: int
    expires: datetime  # the session's start, UTC

    def expired(self, now: datetime) -> bool:
        """A link stops working when its session starts."""
        return now >= self.expires


def check_secret(secret: str) -> bytes:
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the link secret must have at least {MIN_SECRET_LENGTH} characters")
    return secret.encode()


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).digest()[:MAC_BYTES]


def mint(secret: bytes, appointment_id: int, expires: datetime) -> str:
    body = _BODY.pack(VERSION, appointment_id, int(expires.timestamp()))
    return base64.urlsafe_b64encode(body + _mac(secret, body)).decode().rstrip("=")


def read(secret: bytes, token: str) -> Link:
    """The link a token names, if its signature is right (expired or not)."""
    if len(token) > 64:
        raise InvalidToken("too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise InvalidToken("not base64url") from None
    if len(raw) != _BODY.size + MAC_BYTES:
        raise InvalidToken("wrong length")
    body, mac = raw[:_BODY.size], raw[_BODY.size:]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidToken("bad signature")
    version, appointment_id, expires = _BODY.unpack(body)
    if version != VERSION:
        raise InvalidToken("unknown version")
    return Link(appointment_id, datetime.fromtimestamp(expires, UTC))
