"""How many parts an SMS is sent (and billed) as.

An SMS carries 160 characters of the GSM 03.38 alphabet, or 70 when any character
is outside it (UCS-2: "ã", "õ", "á", "ç", emoji); a longer message goes in parts of
153 or 67, each billed as one SMS. Source: 3GPP TS 23.038 and Twilio's
https://www.twilio.com/docs/glossary/what-sms-character-limit"""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38's basic set, and the extension set (each of those takes two places).
_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
          "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_EXTENDED = "^{}\\[~]|€\f"
_GSM = frozenset(_BASIC)


@dataclass(frozen=True)
class SmsParts:
    characters: int  # as a person counts them
    parts: int  # SMS billed
    per_part: int  # characters a part holds in this message's alphabet
    unicode: bool  # some character is outside the GSM alphabet


def parts(text: str) -> SmsParts:
    """The parts `text` is sent as (0 for an empty text)."""
    unicode = any(ch not in _GSM and ch not in _EXTENDED for ch in text)
    if unicode:
        # UCS-2 counts UTF-16 units: an emoji takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    else:
        length = sum(2 if ch in _EXTENDED else 1 for ch in text)
        single, multi = 160, 153
    if length == 0:
        count = 0
    elif length <= single:
        count = 1
    else:
        count = -(-length // multi)
    return SmsParts(len(text), count, single if count <= 1 else multi, unicode)
