"""Text prepared to each provider's rules. Every message the app sends — reminders,
notices, Conecta's messages, the Integrations page's tests — passes through the
channel modules, and they prepare their text here, so a name or a service the
practice typed (a tab, five spaces, a line break from a spreadsheet cell) can
never make a provider refuse a message."""

from __future__ import annotations

import re
import unicodedata

# Meta, Cloud API: a template parameter may not be empty nor hold a newline, a tab
# or more than four consecutive spaces (error 132018); a template's body holds at
# most 1,024 characters (132005), and a text message's body 4,096.
WHATSAPP_PARAMETER_MAX = 1024
WHATSAPP_TEXT_MAX = 4096
# Twilio, Messages resource: "Body ... can be up to 1,600 characters in length".
SMS_MAX = 1600
# RFC 5322 caps a header line at 998 characters; a subject people read is far shorter.
HEADER_MAX = 250
EMPTY_PARAMETER = "-"
_BREAK_CHARS = " \t\n\r\v\f\x85\u2028\u2029"
_BREAKS = re.compile(f"[{_BREAK_CHARS}]+")


def _printable(text: str, keep: str = "") -> str:
    """Without control characters (category Cc) other than those in `keep`; format
    characters such as the joiners inside emoji stay."""
    return "".join(ch for ch in text
                   if ch in keep or unicodedata.category(ch) not in ("Cc", "Cs"))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def one_line(text: str) -> str:
    """Every run of spaces, tabs and line breaks as one space, control characters
    removed, trimmed. No-break spaces stay: dates and times are written with them."""
    return _BREAKS.sub(" ", _printable(text, keep=_BREAK_CHARS)).strip(" ")


def whatsapp_parameter(text: str) -> str:
    """A WhatsApp template parameter: one line, never empty, within Meta's length."""
    return shorten(one_line(text), WHATSAPP_PARAMETER_MAX) or EMPTY_PARAMETER


def whatsapp_text(text: str) -> str:
    """A WhatsApp free-text body: line breaks kept, control characters removed,
    within Meta's length."""
    lines = _printable(text.replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t")
    return shorten(lines.strip(), WHATSAPP_TEXT_MAX)


def sms_body(text: str) -> str:
    """An SMS body: line breaks kept, control characters removed, within Twilio's
    1,600 characters."""
    lines = _printable(text.replace("\r\n", "\n").replace("\r", "\n"), keep="\n")
    return shorten(lines.strip(), SMS_MAX)


def header_value(text: str) -> str:
    """An e-mail header's text (a subject, a display name, a message id): one line,
    so a line break can neither break the message nor add a header."""
    return shorten(one_line(text), HEADER_MAX)
