"""How a name is searched: without case and without accents, so "joao" finds
"João" and "érica" finds "ÉRICA" on either engine (SQLite's LIKE folds ASCII
only), and by words in any order, so "silva joao" finds "João da Silva". Each
searchable row keeps its folded name and e-mail in `search_key`, written with the
row (services.kept_text), and a search compares folded with folded."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

# Letters NFKD does not take apart, as people type them without the mark.
_BARE = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d",
                       "þ": "th", "ı": "i", "ŀ": "l",
                       # a hyphen between names is typed as a space; an apostrophe not at all
                       "-": " ", "‐": " ", "'": None, "’": None, "`": None})
_SPACES = re.compile(r"\s+")


def folded(text: str | None) -> str:
    """`text` without accents (Unicode NFKD, combining marks dropped), without case
    (str.casefold), with a hyphen read as a space, apostrophes dropped and spaces
    collapsed: 'ÉRICA  Conceição-D’Ávila' → 'erica conceicao davila'."""
    if not text:
        return ""
    bare = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in bare if not unicodedata.combining(ch)).casefold()
    return _SPACES.sub(" ", plain.translate(_BARE)).strip()


def search_key(name: str | None, email: str | None) -> str:
    """The folded name, then the folded e-mail, on two lines (a search, one line,
    never matches across them)."""
    return f"{folded(name)}\n{folded(email)}"


def words(text: str) -> list[str]:
    """The folded words a search looks for, each anywhere and in any order: "silva
    joao" finds "João da Silva"."""
    return folded(text).split()


def like_pattern(word: str) -> str:
    """A LIKE pattern for "contains `word`" (already folded), with LIKE's own
    characters (%, _ and the escape \\) taken literally: use with escape='\\'."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def has_words(column: Any, text: str, numbers_in: Any = None,
              shortest_number: int = 1) -> ColumnElement[bool] | None:
    """The condition "the folded `column` holds every word of `text`", or None when
    `text` has none. With `numbers_in` (a phone column, its digits unbroken as
    E.164 keeps them), a word of digits at least `shortest_number` long may be
    found there instead: "tatiana 2341" finds Tatiana by the end of her number."""
    found = words(text)
    if not found:
        return None
    conditions = []
    for word in found:
        condition = column.like(like_pattern(word), escape="\\")
        if numbers_in is not None and word.isdigit() and len(word) >= shortest_number:
            condition = or_(condition, numbers_in.like(f"%{word}%"))
        conditions.append(condition)
    return and_(*conditions)
