"""When two phone numbers are the same person's. Brazil added a ninth digit to
mobile numbers (Anatel, 2012-2016): +55 41 98765-4321 and +55 41 8765-4321 are one
mobile, and WhatsApp still names many Brazilian accounts by the eight-digit form
(its `wa_id`). Landlines (first digit 2-5) never had the ninth digit."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement
from sqlmodel import col

# +55, a two-digit area code, then the mobile with or without its leading 9.
_BR_NINE = re.compile(r"^\+55([1-9]{2})9([6-9]\d{7})$")
_BR_EIGHT = re.compile(r"^\+55([1-9]{2})([6-9]\d{7})$")


def variants(e164: str) -> tuple[str, ...]:
    """The E.164 forms that name the same line, the given one first."""
    if m := _BR_NINE.match(e164):
        return e164, f"+55{m.group(1)}{m.group(2)}"
    if m := _BR_EIGHT.match(e164):
        return e164, f"+55{m.group(1)}9{m.group(2)}"
    return (e164,)


def key(e164: str) -> str:
    """One form per line (a Brazilian mobile with its ninth digit), for grouping."""
    if m := _BR_EIGHT.match(e164):
        return f"+55{m.group(1)}9{m.group(2)}"
    return e164


def matches(column: object, e164: str) -> ColumnElement[bool]:
    """A query condition: the phone column holds this line in any of its forms."""
    return col(column).in_(variants(e164))


# What phone numbers are written with besides digits: "+55 (11) 97326-3471",
# "11.97326.3471", "011/97326-3471".
_PHONE_MARKS = frozenset("+()-./ ")


def typed_digits(text: str) -> str:
    """The digits of `text` typed into a search box when it reads as (part of) a
    phone number, made of digits and the marks numbers are written with; "" when
    anything else is in it. A name or an e-mail with digits ("mariana.13@example.com",
    "ana 2") is looked for by its words: searched among the phones too, its digits
    alone would find every client whose number holds them."""
    text = text.strip()
    if not text or any(not ch.isdigit() and ch not in _PHONE_MARKS and not ch.isspace()
                       for ch in text):
        return ""
    return "".join(ch for ch in text if ch.isdigit())


def digit_patterns(digits: str) -> list[str]:
    """LIKE patterns for digits typed into a search box: as typed, and a Brazilian
    mobile's digits with or without the ninth digit (alone, with the area code, or
    with 55 in front)."""
    out = [digits]
    if len(digits) in (9, 11, 13) and digits[-9] == "9" and digits[-8] in "6789":
        out.append(digits[:-9] + digits[-8:])
    elif len(digits) in (8, 10, 12) and digits[-8] in "6789":
        out.append(digits[:-8] + "9" + digits[-8:])
    return [f"%{d}%" for d in out]
