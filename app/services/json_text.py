"""JSON for people's terminals and files: valid JSON that a terminal shows as
written. JSON itself escapes the C0 controls; DEL, the C1 range (U+009B starts a
terminal sequence) and the characters that reorder text around them
(app.models.shown_text) are escaped here too, which JSON allows."""

from __future__ import annotations

import json
import re
from typing import Any

_ESCAPED = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")


def dumps(data: Any, indent: int | None = 2) -> str:
    """`data` as JSON text (UTF-8 characters kept, the characters above escaped)."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
