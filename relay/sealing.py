"""Sealing what clients write to the practice's public key (libsodium sealed boxes):
the relay can store it but never read it back; only the desktop's private key can."""

from __future__ import annotations

import json
from typing import Any

from nacl.public import PublicKey, SealedBox


def seal(public_key: bytes, data: dict[str, Any]) -> bytes:
    # A lone surrogate (JSON's "\ud800") has no UTF-8 form: it becomes "?".
    return bytes(SealedBox(PublicKey(public_key)).encrypt(
        json.dumps(data, ensure_ascii=False).encode("utf-8", "replace")))
