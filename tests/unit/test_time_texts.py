"""Times of day are written once per language and clock time, and read the same as
Babel writes them: on the value's own clock, whatever its zone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_time as babel_time

from app import i18n

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def test_a_time_reads_as_babel_writes_it_in_each_language() -> None:
    values = [datetime(2026, 11, 18, 14, 30, 15, tzinfo=SAO_PAULO),
              datetime(2026, 11, 18, 0, 5, tzinfo=UTC), time(9, 0), time(23, 59, 59)]
    try:
        for language in ("pt_BR", "en"):
            i18n.set_language(language)
            for value in values:
                for style in ("short", "medium", "long"):
                    assert i18n.format_time(value, style) == str(
                        babel_time(value, format=style, locale=language)), (language, value)
    finally:
        i18n.set_language(None)


def test_the_same_clock_time_in_another_language_is_not_taken_from_the_first() -> None:
    at = datetime(2026, 11, 18, 14, 30, tzinfo=SAO_PAULO)
    try:
        i18n.set_language("pt_BR")
        assert i18n.format_time(at) == "14:30"
        i18n.set_language("en")
        assert i18n.format_time(at) == "2:30\u202fPM"
    finally:
        i18n.set_language(None)
