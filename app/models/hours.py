"""Working hours written the way people say them: "mon-fri 08:00-12:00,13:00-19:00"."""

from __future__ import annotations

import re
from datetime import time
from itertools import pairwise

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALIASES = {"seg": 0, "ter": 1, "qua": 2, "qui": 3, "sex": 4, "sab": 5, "sáb": 5, "dom": 6}
# "08:00", "8h30", "0830", and the 12-hour clock's "8:30 PM", "8pm", "8 p.m.".
_TIME = re.compile(r"^(\d{1,2})(?::|h)?(\d{2})?(?:\s*([ap])\.?\s*m\.?)?$")


class HoursFormatError(ValueError):
    """kind: what is wrong ("weekday", "time", "days_backwards", "interval",
    "ends_before", "overlap", "shape"); part: the text at fault. The services say
    it in the user's language; str() is for logs."""

    def __init__(self, kind: str, part: str = "") -> None:
        super().__init__(f"{kind}: {part!r}" if part else kind)
        self.kind, self.part = kind, part


# "8h às 18h", "8 a 18", "08:00 – 12:00", "8 to 6": the ways people write a span.
_SPAN = re.compile(r"\s*(?:–|—|\s(?:às|as|a|to|até)\s)\s*")


# An interval's end of 00:00 is the midnight that closes the day ("24:00"): an end
# must come after its start, so it cannot mean the midnight that opens it.
END_OF_DAY = time(0, 0)


def minute_of_day(t: time, *, end: bool = False) -> int:
    """Minutes after midnight, 0..1439; as an interval's end, 00:00 is 1440."""
    minutes = t.hour * 60 + t.minute
    return 1440 if end and minutes == 0 else minutes


def format_end(t: time) -> str:
    """An interval's end as people write it: 24:00 for the day's closing midnight."""
    return "24:00" if t == END_OF_DAY else f"{t:%H:%M}"


def _weekday(token: str) -> int:
    token = token.strip().lower()[:3]
    if token in WEEKDAY_KEYS:
        return WEEKDAY_KEYS.index(token)
    if token in _ALIASES:
        return _ALIASES[token]
    raise HoursFormatError("weekday", token)


def parse_time(text: str, *, end: bool = False) -> time:
    """"08:00", "8h", "8h30", "0830", or on the 12-hour clock "8:30 PM", "8pm",
    "12 a.m." (midnight); as an interval's `end`, "24:00" (and "00:00", "12:00 AM")
    is the closing midnight, END_OF_DAY. Raises HoursFormatError."""
    # Babel writes "8:30\u202fPM" (a narrow no-break space) in English.
    m = _TIME.match(" ".join(text.split()).lower())
    if not m:
        raise HoursFormatError("time", text.strip())
    h, mnt = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3):  # the 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= h <= 12:
            raise HoursFormatError("time", text.strip())
        h = h % 12 + (12 if m.group(3) == "p" else 0)
    if end and h == 24 and mnt == 0:
        return END_OF_DAY
    if not (0 <= h <= 23 and 0 <= mnt <= 59):
        raise HoursFormatError("time", text.strip())
    return time(h, mnt)


def parse_days(text: str) -> list[int]:
    """"mon-fri", "mon,wed,fri", "sat", "all"."""
    text = text.strip().lower()
    if text in ("all", "todos"):
        return list(range(7))
    days: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = (_weekday(x) for x in part.split("-", 1))
            if b < a:
                raise HoursFormatError("days_backwards", part.strip())
            days.extend(range(a, b + 1))
        else:
            days.append(_weekday(part))
    return sorted(set(days))


def parse_intervals(text: str) -> list[tuple[time, time]]:
    """"08:00-12:00,13:00-19:00"; "closed" for none."""
    text = text.strip().lower()
    if text in ("closed", "fechado", "off", ""):
        return []
    out: list[tuple[time, time]] = []
    for part in text.split(","):
        part = _SPAN.sub("-", f" {part.strip()} ").strip()
        if "-" not in part:
            raise HoursFormatError("interval", part)
        a, b = part.split("-", 1)
        lo, hi = parse_time(a), parse_time(b, end=True)
        if minute_of_day(hi, end=True) <= minute_of_day(lo):
            raise HoursFormatError("ends_before", part)
        out.append((lo, hi))
    out.sort()
    for (_, prev_end), (nxt_start, _) in pairwise(out):
        if minute_of_day(nxt_start) < minute_of_day(prev_end, end=True):
            raise HoursFormatError("overlap")
    # Touching intervals are one: 19:00-23:00,23:00-24:00 holds a session at 22:30.
    joined: list[tuple[time, time]] = []
    for lo, hi in out:
        if joined and minute_of_day(lo) == minute_of_day(joined[-1][1], end=True):
            joined[-1] = (joined[-1][0], hi)
        else:
            joined.append((lo, hi))
    return joined


def parse_hours_spec(text: str) -> tuple[list[int], list[tuple[time, time]]]:
    """"mon-fri 08:00-19:00" -> ([0..4], [(08:00, 19:00)])."""
    parts = text.strip().split(None, 1)
    if len(parts) != 2:
        raise HoursFormatError("shape", text.strip())
    return parse_days(parts[0]), parse_intervals(parts[1])


def format_intervals(intervals: list[tuple[time, time]]) -> str:
    if not intervals:
        return "closed"
    return ",".join(f"{a:%H:%M}-{format_end(b)}" for a, b in intervals)
