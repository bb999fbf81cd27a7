"""How a name is searched: without case and without accents, so "joao" finds
"João" and "érica" finds "ÉRICA" on either engine (SQLite's LIKE folds ASCII
only). Each searchable row keeps its folded words in `search_key`, written with
the row (services.kept_text), and a search compares folded with folded."""

from __future__ import annotations

import unicodedata


def folded(text: str | None) -> str:
    """`text` without accents (Unicode NFKD, combining marks dropped) and without
    case (str.casefold): 'ÉRICA Conceição' → 'erica conceicao'."""
    if not text:
        return ""
    bare = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in bare if not unicodedata.combining(ch)).casefold()


def search_key(name: str | None, email: str | None) -> str:
    """The folded name, then the folded e-mail, on two lines (a search, one line,
    never matches across them)."""
    return f"{folded(name)}\n{folded(email)}"


def like_pattern(text: str) -> str:
    """A LIKE pattern for "contains the folded `text`", with LIKE's own
    characters (%, _ and the escape \\) taken literally: use with escape='\\'."""
    bare = folded(text.strip())
    return "%" + bare.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
