"""The project's one translation mechanism: gettext catalogs (resources/locale/<lang>/
LC_MESSAGES/practice.po), read with Babel and compiled once into the user's cache,
plus locale-aware dates, times and money. Stdlib, Babel and platformdirs only, so
every layer (services, window) can share it. The relay
carries its own catalogue for its pages (relay/i18n.py), so it installs without the app."""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date as _bd_date
from babel.dates import format_datetime as _bd_datetime
from babel.dates import format_interval as _bd_interval
from babel.dates import format_skeleton as _bd_skeleton
from babel.dates import format_time as _bd_time
from babel.dates import get_day_names
from babel.messages.catalog import Catalog
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
def _catalog(lang: str) -> Catalog | None:
    """The language's catalogue as written (None for English, the source language)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.exists():
        return None
    with po.open("rb") as fh:
        return read_po(fh, locale=lang)


@cache
def _load(lang: str) -> gettext.NullTranslations:
    """The language's translations. Reading the .po costs ~30 ms at every start (a
    command, the window), so it is compiled once into the user's cache, named by
    the .po's size and time: an edited or updated catalogue is compiled again."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not po.exists():
        return gettext.NullTranslations()
    stat = po.stat()
    compiled = _cache_dir() / f"{DOMAIN}-{lang}-{stat.st_size}-{stat.st_mtime_ns}.mo"
    try:
        with compiled.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    except Exception:  # not there, or damaged: compiled again below
        pass
    catalog = _catalog(lang)
    assert catalog is not None
    import io

    buf = io.BytesIO()
    write_mo(buf, catalog)
    data = buf.getvalue()
    try:  # best effort: a read-only cache only costs the next start the same 30 ms
        compiled.parent.mkdir(parents=True, exist_ok=True)
        part = compiled.with_suffix(f".{os.getpid()}.part")
        part.write_bytes(data)
        os.replace(part, compiled)
    except OSError:
        pass
    return gettext.GNUTranslations(io.BytesIO(data))


def _cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("practice-desk", appauthor=False)) / "locale"


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


# ---------------------------------------------------------------- words kept to read later
# The app keeps some of its own sentences with the data (why a reminder was skipped,
# what the mail server answered, why a session was cancelled). They are kept in
# English, whatever language the process wrote them in, and said in the reader's
# language when shown: a practice that switches language, or a worker whose system
# speaks another, never leaves sentences of the wrong language on screen. Both ways
# go through the catalogue: a sentence the catalogue does not know (a person's own
# words, a provider's raw answer) is left exactly as it is.

_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")


@dataclass(frozen=True)
class _Form:
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    target: str | tuple[str, str]  # the other language's text, or a plural's two forms


def _pattern(text: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []
    out, last = [], 0
    for m in _PLACEHOLDER.finditer(text):
        out.append(re.escape(text[last:m.start()]))
        name = m.group(1)
        out.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
        if name not in names:
            names.append(name)
        last = m.end()
    out.append(re.escape(text[last:]))
    return re.compile("".join(out), re.S), tuple(names)


@cache
def _forms(lang: str, to_english: bool) -> tuple[dict[str, str], tuple[_Form, ...]]:
    """Exact sentences, and patterns of sentences with placeholders, from one
    language to the other, read from the catalogue."""
    exact: dict[str, str] = {}
    forms: list[_Form] = []
    catalog = _catalog(lang)
    if catalog is None:
        return exact, ()
    for m in catalog:
        if not m.id or m.fuzzy or not m.string:
            continue
        pairs: list[tuple[str, str | tuple[str, str]]] = []
        if isinstance(m.id, tuple | list):
            english = (str(m.id[0]), str(m.id[1]))
            theirs = tuple(str(x) for x in m.string)
            plural = (theirs[0], theirs[-1])
            sources = theirs if to_english else english
            pairs = [(src, english if to_english else plural) for src in sources]
        else:
            pairs = [(str(m.string), str(m.id))] if to_english else [(str(m.id), str(m.string))]
        for source, target in pairs:
            if not source or "{{" in source or "%" in source:
                continue  # a template's own braces, argparse's words: never kept text
            if _PLACEHOLDER.search(source):
                if sum(ch.isalpha() for ch in _PLACEHOLDER.sub("", source)) < 4:
                    continue  # "{name} ({code})" would claim anyone's words
                pattern, names = _pattern(source)
                forms.append(_Form(pattern, names, target))
            elif isinstance(target, str):
                exact.setdefault(source, target)
    # Longer patterns first: the most specific sentence wins.
    forms.sort(key=lambda f: -len(f.pattern.pattern))
    return exact, tuple(forms)


def _convert(text: str, lang: str, to_english: bool, depth: int = 0) -> str:
    if not text or depth > 4:
        return text
    exact, forms = _forms(lang, to_english)
    if text in exact:
        return exact[text]
    # Several sentences said together ("Notices go by e-mail or SMS. E-mail is not set
    # up: …"): each is one of the catalogue's, or left as it is. Tried before the
    # patterns, whose placeholders would otherwise swallow the sentences before them.
    parts = _SENTENCES.split(text) if depth == 0 else [text]
    if len(parts) > 1:
        converted = [_convert(part, lang, to_english, depth + 1) for part in parts]
        if converted != parts:
            return " ".join(converted)
    for form in forms:
        m = form.pattern.fullmatch(text)
        if m is None:
            continue
        values = {k: _convert(v, lang, to_english, depth + 1) for k, v in m.groupdict().items()}
        target = form.target
        if isinstance(target, tuple):  # a plural: its form follows the count
            count = int(values["n"]) if values.get("n", "").isdigit() else 2
            target = target[0] if count == 1 else target[1]
        try:
            return target.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-ZÁÉÍÓÚÂÊÔÃÕÇ])")


def to_english(text: str | None) -> str | None:
    """One of the app's sentences, written in the current language, as kept: in English."""
    lang = current_language()
    return text if text is None or lang == "en" else _convert(text, lang, to_english=True)


def from_english(text: str | None) -> str | None:
    """A kept sentence (English) in the current language; other text as it is."""
    lang = current_language()
    return text if text is None or lang == "en" else _convert(text, lang, to_english=False)


def _locale() -> Locale:
    return _parsed(current_language())


@cache
def _parsed(language: str) -> Locale:
    # Parsed once per language: Babel parses the identifier anew on every call.
    return Locale.parse(language)


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
    """The time of day on `value`'s own clock, in the locale's way ("14:30",
    "2:30 PM"). The short and medium forms show no zone, so each is worked out once
    per language and time of day (a week's agenda writes hundreds)."""
    if style not in ("short", "medium"):
        return str(_bd_time(value, format=style, locale=_locale()))
    return _time_of_day(current_language(), style, value.hour, value.minute, value.second)


@cache
def _time_of_day(language: str, style: str, hour: int, minute: int, second: int) -> str:
    return str(_bd_time(time(hour, minute, second), format=style, locale=_parsed(language)))


def format_closing_time(value: time) -> str:
    """An interval's end: the day's closing midnight (00:00 as an end) reads
    24:00 where the locale counts to 24, and as its own midnight elsewhere."""
    if value == time(0, 0):
        text = format_time(value)
        return "24:00" if text.startswith("00") else text
    return format_time(value)


def format_datetime(value: datetime, style: str = "short") -> str:
    """A date and time on `value`'s own clock ("03/12/2026 14:00", "12/3/26, 2:00 PM").
    The short and medium forms show no zone, so each wall-clock time is written once
    per language and kept: a list being scrolled or searched asks for the same few
    hundred again and again, and Babel takes ~18 µs each."""
    if style not in ("short", "medium"):
        return str(_bd_datetime(value, format=style, locale=_locale(), tzinfo=value.tzinfo))
    return _wall_clock_datetime(current_language(), style, value.replace(tzinfo=None))


@lru_cache(maxsize=4096)
def _wall_clock_datetime(language: str, style: str, wall: datetime) -> str:
    return str(_bd_datetime(wall, format=style, locale=_parsed(language), tzinfo=None))


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
