"""Text as it is kept: characters that would change how the text *around* it is
shown are not part of any name, note, reason or message.

- Control characters (C0 but tab and line feed, DEL, C1): an escape sequence in
  a name would drive a terminal; a spreadsheet cannot even hold them.
- Bidirectional embeddings, overrides and isolates (U+202A–U+202E,
  U+2066–U+2069): a right-to-left override in a client's name reverses the app's
  own words, dates and times that follow it wherever the name is shown (Unicode
  UAX #9). Right-to-left scripts need none of them to be shown right.
- Zero-width space, word joiner and byte order mark (U+200B, U+2060, U+FEFF):
  invisible, they make two names that look the same differ ("Ma\u200bria").
  Zero-width (non-)joiners stay: some scripts and emoji need them.

A name is one line: its line breaks and tabs become spaces."""

from __future__ import annotations

import re

_BIDI_AND_INVISIBLE = "\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff"
_NOT_SHOWN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_INVISIBLE}]")
_NOT_SHOWN_IN_JSON = re.compile(f"[{_BIDI_AND_INVISIBLE}]")


def free_text(text: str) -> str:
    """A note, a reason, a message: line breaks kept (CR LF and CR become LF)."""
    return _NOT_SHOWN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """A name: one line, runs of white space made one space, trimmed."""
    return " ".join(free_text(text).split())


def in_json(text: str) -> str:
    """A JSON document of such texts (an audit entry): JSON writes control
    characters as escapes already; the invisible ones go."""
    return _NOT_SHOWN_IN_JSON.sub("", text)
