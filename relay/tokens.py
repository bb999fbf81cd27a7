"""Confirmation-link tokens, shared by the desktop (which mints them offline) and
the relay (which verifies them, keeping no list). Standard library only.

A token is base64url(version, appointment id, expiry as Unix seconds, the first
12 bytes of HMAC-SHA256 over those) — 28 characters, short enough for a WhatsApp
URL button's dynamic suffix. The expiry is the session's start."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = 1
MAC_BYTES = 12
_BODY = struct.Struct(">BII")
MIN_SECRET_LENGTH = 32
MAX_APPOINTMENT_ID = 2**31 - 1  # a 32-bit integer column on the relay's PostgreSQL
# 21 bytes in base64url: 28 characters, no padding, no spare bits.
SPELLING = re.compile(r"[A-Za-z0-9_-]{28}")


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
    # One spelling only: the exact characters mint() writes. base64 decoders
    # skip or translate others ("+" for "-", stray "=", ".", NUL), which would
    # give one link many addresses, each with its own rate-limit bucket.
    if not SPELLING.fullmatch(token):
        raise InvalidToken("not a token")
    raw = base64.urlsafe_b64decode(token)
    body, mac = raw[:_BODY.size], raw[_BODY.size:]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise InvalidToken("bad signature")
    version, appointment_id, expires = _BODY.unpack(body)
    if version != VERSION:
        raise InvalidToken("unknown version")
    if not 1 <= appointment_id <= MAX_APPOINTMENT_ID:
        raise InvalidToken("no such session")
    return Link(appointment_id, datetime.fromtimestamp(expires, UTC))
