"""A time of day as people write it, on either clock (app.models.hours.parse_time)."""

from __future__ import annotations

from datetime import time

import pytest

from app.models.hours import END_OF_DAY, HoursFormatError, parse_time


@pytest.mark.parametrize(("text", "expected"), [
    ("08:00", time(8)), ("8h30", time(8, 30)), ("0830", time(8, 30)),
    ("8:30 PM", time(20, 30)), ("8:30\u202fpm", time(20, 30)), ("8pm", time(20)),
    ("8 p.m.", time(20)), ("12 a.m.", time(0)), ("12:00 AM", time(0)), ("12 PM", time(12)),
    ("11:59 pm", time(23, 59)), ("1:05 am", time(1, 5)),
])
def test_a_time_is_read_on_either_clock(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["13 pm", "0 am", "8:60 pm", "8 pmm", "pm", "25:00"])
def test_an_impossible_time_is_refused(text: str) -> None:
    with pytest.raises(HoursFormatError):
        parse_time(text)


def test_midnight_as_an_end_closes_the_day_on_either_clock() -> None:
    assert parse_time("12:00 AM", end=True) == END_OF_DAY == parse_time("24:00", end=True)
