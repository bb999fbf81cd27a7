"""Times of day, dates with times and phone numbers are written once per language
(or region) and kept, and read the same as Babel and phonenumbers write them: a
time on the value's own clock, whatever its zone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime
from babel.dates import format_time as babel_time

from app import i18n
from app.services.values import format_phone

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


def test_a_date_and_time_reads_as_babel_writes_it_on_its_own_clock() -> None:
    values = [datetime(2026, 11, 18, 14, 30, 15, tzinfo=SAO_PAULO),
              datetime(2026, 11, 18, 14, 30, 15, tzinfo=UTC),
              datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("America/New_York")),
              datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
              datetime(2026, 12, 31, 23, 59, 59)]
    try:
        for language in ("pt_BR", "en"):
            i18n.set_language(language)
            for value in values:
                for style in ("short", "medium", "long"):
                    assert i18n.format_datetime(value, style) == str(babel_datetime(
                        value, format=style, locale=language, tzinfo=value.tzinfo)), \
                        (language, value, style)
    finally:
        i18n.set_language(None)


def test_one_instant_on_two_clocks_is_two_texts_and_each_language_its_own() -> None:
    # Equal instants compare (and hash) equal in Python: the text kept for one
    # must not be handed to the other.
    here = datetime(2026, 11, 18, 14, 30, tzinfo=SAO_PAULO)
    there = here.astimezone(UTC)
    assert here == there
    try:
        i18n.set_language("pt_BR")
        assert i18n.format_datetime(here) == "18/11/2026 14:30"
        assert i18n.format_datetime(there) == "18/11/2026 17:30"
        i18n.set_language("en")
        assert i18n.format_datetime(here) == "11/18/26, 2:30\u202fPM"
    finally:
        i18n.set_language(None)


def test_a_phone_reads_in_the_practice_region_s_way_and_changes_with_the_region() -> None:
    assert format_phone("+5511987654321", "BR") == "(11) 98765-4321"
    assert format_phone("+5511987654321", "PT") == "+55 11 98765-4321"
    assert format_phone("+351912345678", "PT") == "912 345 678"
    assert format_phone("+5511987654321", "BR") == "(11) 98765-4321"
    assert format_phone("not a number", "BR") == "not a number"
    assert format_phone(None, "BR") == format_phone("", "BR") == ""
