"""The project's one translation mechanism: gettext catalogs (resources/locale/<lang>/
LC_MESSAGES/practice.po), read with Babel, plus locale-aware dates, times and money.
Stdlib and Babel only, so every layer (services, window, relay pages) can share it."""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date as _bd_date
from babel.dates import format_datetime as _bd_datetime
from babel.dates import format_interval as _bd_interval
from babel.dates import format_skeleton as _bd_skeleton
from babel.dates import format_time as _bd_time
from babel.dates import get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

DOMAIN = "practice"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "resources" / "locale"
SUPPORTED = ("en", "pt_BR")

_current = "en"
_translations: gettext.NullTranslations = gettext.NullTranslations()
# A language spoken for a while by one thread only (a message to a client in the
# client's language, sent by the worker while the window speaks the user's).
_speaking: ContextVar[str | None] = ContextVar("speaking", default=None)


def system_language() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return normalize(value.split(":")[0])
    return "en"


def normalize(code: str) -> str:
    code = code.split(".")[0].replace("-", "_")
    return "pt_BR" if code.lower().startswith("pt") else "en"


@cache
def _load(lang: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.exists():
        return gettext.NullTranslations()
    import io

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def set_language(code: str | None) -> str:
    """Switch the language for every later message; '' or None follows the system.
    Those who follow the language (the window's toolkit) hear of it."""
    global _current, _translations
    _current = normalize(code) if code else system_language()
    _translations = _load(_current)
    for listener in _listeners:
        listener(_current)
    return _current


_listeners: list[Callable[[str], None]] = []


def follow_language(listener: Callable[[str], None]) -> None:
    """Calls `listener(code)` now and whenever the language changes (e.g. the
    window loads Qt's own translations for its buttons and dialogs)."""
    if listener not in _listeners:
        _listeners.append(listener)
    listener(_current)


def current_language() -> str:
    return _speaking.get() or _current


@contextmanager
def speaking(code: str) -> Iterator[str]:
    """Within the block, this thread's messages, dates and money are in `code`
    ("pt_BR", "en"); other threads (the window) keep theirs."""
    token = _speaking.set(normalize(code))
    try:
        yield current_language()
    finally:
        _speaking.reset(token)


def _active() -> gettext.NullTranslations:
    spoken = _speaking.get()
    return _load(spoken) if spoken else _translations


def _(message: str) -> str:
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction; translated later, where it is shown."""
    return message


def _locale() -> Locale:
    return Locale.parse(current_language())


def first_upper(text: str) -> str:
    """A heading's first letter in capitals, the rest as the locale wrote it
    ("Quarta-feira, 18 de novembro", "Wednesday, November 18"; str.capitalize
    would lower "November")."""
    return text[:1].upper() + text[1:]


def format_date(value: date, style: str = "short") -> str:
    return str(_bd_date(value, format=style, locale=_locale()))


def format_day(value: date) -> str:
    """Weekday and date in the locale's own order: "Wed, Nov 18, 2026",
    "qua., 18 de nov. de 2026"."""
    return str(_bd_skeleton("yMMMEd", value, locale=_locale()))


def format_period(first: date, last: date) -> str:
    """Two days as the locale writes a span, saying the month and year once where
    they are shared: "16 – 22 de nov. de 2026", "Nov 30 – Dec 6, 2026"."""
    return str(_bd_interval(first, last, "yMMMd", locale=_locale()))


def format_time(value: time | datetime, style: str = "short") -> str:
    return str(_bd_time(value, format=style, locale=_locale()))


def format_closing_time(value: time) -> str:
    """An interval's end: the day's closing midnight (00:00 as an end) reads
    24:00 where the locale counts to 24, and as its own midnight elsewhere."""
    if value == time(0, 0):
        text = format_time(value)
        return "24:00" if text.startswith("00") else text
    return format_time(value)


def format_datetime(value: datetime, style: str = "short") -> str:
    return str(_bd_datetime(value, format=style, locale=_locale(), tzinfo=value.tzinfo))


def format_recent(value: datetime, now: datetime) -> str:
    """As inboxes show a last activity: the time today, the day this year
    ("18 de nov."), the full date before."""
    local, today = value, now.astimezone(value.tzinfo)
    if local.date() == today.date():
        return format_time(local)
    if local.year == today.year:
        return str(_bd_skeleton("MMMd", local, tzinfo=local.tzinfo, locale=_locale()))
    return format_date(local.date())


def weekday_name(index: int,
                 width: Literal["abbreviated", "narrow", "short", "wide"] = "abbreviated"
                 ) -> str:
    """Monday = 0, in the current language ("seg.", "Mon")."""
    return str(get_day_names(width, locale=_locale())[index])


def format_money(cents: int, currency: str) -> str:
    return str(format_currency(Decimal(cents) / 100, currency, locale=_locale()))


def format_amount(cents: int) -> str:
    """An amount without its currency, as a form field shows it: "1.234,50" in
    Portuguese, "1,234.50" in English (values.parse_money reads both back)."""
    return str(format_decimal(Decimal(cents) / 100, format="#,##0.00", locale=_locale()))


def format_number(value: int | float) -> str:
    """1,234 in English, 1.234 in Portuguese."""
    return str(format_decimal(value, locale=_locale()))


set_language(None)
