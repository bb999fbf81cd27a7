"""Reading one cell of a spreadsheet the way people write it: dates as 21/11/2026,
2026-11-21 or an Excel serial number; times as 14:00, 14h or 14h30; durations as
50, 50 min or 1h30. Each failure is a CellError saying what was expected.

Spreadsheets repeat the same few values thousands of times (a year of sessions
has 365 dates and a handful of times), so the string parsers are cached."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from app.i18n import _
from app.models.enums import AppointmentStatus

Cell = str | int | float | datetime | date | time | None

# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime(1899, 12, 30)
# Serial numbers from 1950 to 2100: anything else is not meant as a date.
EXCEL_RANGE = (18264, 73051)


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


def text_of(value: Cell) -> str:
    """A cell as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@lru_cache(maxsize=8192)
def folded(text: str) -> str:
    """Lower case without accents or punctuation: 'Observações' -> 'observacoes'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def _excel_serial(value: float) -> datetime:
    if not EXCEL_RANGE[0] <= value <= EXCEL_RANGE[1]:
        raise CellError(_("'{value}' is not a date.").format(value=text_of(value)))
    moment = EXCEL_EPOCH + timedelta(days=value)
    # Serial fractions carry float noise: round to the minute.
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


@lru_cache(maxsize=4096)
def _date_text(text: str) -> date:
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    try:
        if m:
            day, month, year = (int(x) for x in m.groups())
            if year < 100:
                year += 2000
            return date(year, month, day)
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if m:
            return date(*(int(x) for x in m.groups()))
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return _excel_serial(float(text)).date()
    except ValueError:
        pass
    raise CellError(_("'{value}' is not a real date (use dd/mm/yyyy or yyyy-mm-dd).")
                    .format(value=text))


def parse_date(value: Cell) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value)).date()
    return _date_text(text_of(value))


_OFFSET = re.compile(r"\s*(?:([+-])(\d{2}):?(\d{2})|z)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _time_text(text: str) -> time:
    """"14:00", "14h", "2pm"...; a trailing UTC offset ("01:30 -05:00", as exports
    write the hour that happens twice) is kept on the time as its zone."""
    m = _OFFSET.search(text.strip())
    if m and m.start() > 0:
        sign, hours, minutes = m.groups()
        offset = timedelta(0) if sign is None else \
            (1 if sign == "+" else -1) * timedelta(hours=int(hours), minutes=int(minutes))
        return _time_text(text.strip()[:m.start()]).replace(tzinfo=timezone(offset))
    t = text.lower().replace(" ", "")
    m = re.fullmatch(r"(\d{1,2})(?:[:h](\d{2})?(?::(\d{2}))?)?(?:min)?", t)
    if m and (":" in t or "h" in t or len(t) <= 2):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if hour < 24 and minute < 60:
            return time(hour, minute)
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)", t)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            return time(hour % 12 + (12 if m.group(3) == "pm" else 0), minute)
    if re.fullmatch(r"0?\.\d+", t):  # a time cell read as text: a fraction of a day
        return _fraction(float(t))
    raise CellError(_("'{value}' is not a time of day (use 14:00 or 14h).").format(value=text))


def _fraction(value: float) -> time:
    if not 0 <= value < 1:
        raise CellError(_("'{value}' is not a time of day (use 14:00 or 14h).")
                        .format(value=text_of(value)))
    minutes = round(value * 24 * 60)
    if minutes >= 24 * 60:
        minutes = 24 * 60 - 1
    return time(minutes // 60, minutes % 60)


def parse_time(value: Cell) -> time:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and not value.is_integer():
        return _fraction(value)
    return _time_text(text_of(value))


@lru_cache(maxsize=4096)
def _datetime_text(text: str) -> datetime:
    if re.fullmatch(r"\d{5}\.\d+", text):
        return _excel_serial(float(text))
    m = re.fullmatch(r"(\S+?)(?:[ T]+|,\s*)(\S+(?:\s?[ap]m)?)", text.strip(), re.IGNORECASE)
    if m is None:
        raise CellError(_("'{value}' is not a date and time (use dd/mm/yyyy 14:00).")
                        .format(value=text))
    day_text, time_text = m.groups()
    # An offset is kept: in the hour that happens twice it says which one.
    return datetime.combine(_date_text(day_text), _time_text(time_text))


def parse_datetime(value: Cell) -> datetime:
    """A wall-clock date and time (naive): the practice's zone is applied later."""
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value))
    return _datetime_text(text_of(value).strip())


@lru_cache(maxsize=1024)
def _duration_text(text: str) -> int:
    t = text.lower().replace(" ", "")
    m = re.fullmatch(r"(\d+)(?:min|mins|minutos|minutes|m)?", t) \
        or re.fullmatch(r"(\d+)[.,]0+", t)
    if m:
        return int(m.group(1))
    m = re.fullmatch(r"(\d+)h(?:oras?|ours?|rs?)?(\d{1,2})?(?:min|m)?", t) \
        or re.fullmatch(r"(\d+):(\d{2})", t)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2) or 0)
    raise CellError(_("'{value}' is not a duration (use minutes, e.g. 50, or 1h30).")
                    .format(value=text))


def parse_duration(value: Cell) -> int:
    if isinstance(value, time):
        minutes = value.hour * 60 + value.minute
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise CellError(_("'{value}' is not a whole number of minutes.")
                            .format(value=value))
        minutes = int(value)
    else:
        minutes = _duration_text(text_of(value))
    if not 0 < minutes <= 24 * 60:
        raise CellError(_("'{value}' is not between 1 and 1440 minutes.")
                        .format(value=text_of(minutes)))
    return minutes


# Words a spreadsheet may use for a session's status, in both languages.
_STATUS_WORDS: dict[str, AppointmentStatus] = {
    **{w: AppointmentStatus.SCHEDULED for w in (
        "agendado", "agendada", "marcado", "marcada", "scheduled", "booked")},
    **{w: AppointmentStatus.CONFIRMED for w in ("confirmado", "confirmada", "confirmed")},
    **{w: AppointmentStatus.COMPLETED for w in (
        "realizado", "realizada", "concluido", "concluida", "atendido", "atendida",
        "completed", "done", "attended")},
    **{w: AppointmentStatus.CANCELLED for w in (
        "cancelado", "cancelada", "desmarcado", "desmarcada", "cancelled", "canceled")},
    **{w: AppointmentStatus.NO_SHOW for w in (
        "faltou", "falta", "nao compareceu", "no show", "noshow", "missed")},
}


# An export lists a moved session twice: where it was (rescheduled) and where it went.
_RESCHEDULED_WORDS = {"reagendado", "reagendada", "remarcado", "remarcada", "rescheduled"}


def parse_status(value: Cell) -> AppointmentStatus | None:
    text = folded(text_of(value))
    if not text:
        return None
    if text in _RESCHEDULED_WORDS:
        raise CellError(_("A rescheduled session is not imported: the row with its new time "
                          "is."))
    status = _STATUS_WORDS.get(text) or _STATUS_WORDS.get(text.replace(" ", ""))
    if status is None:
        raise CellError(_("'{value}' is not a status (use scheduled, confirmed, completed, "
                          "cancelled or no-show).").format(value=text_of(value)))
    return status
