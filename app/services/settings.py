"""Practice settings: name, time zone, country, working hours, cancellation policy."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select as core_select
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from app import models
from app.i18n import SUPPORTED, _, first_upper, weekday_name
from app.models import plain_tables
from app.models.hours import (
    WEEKDAY_KEYS,
    HoursFormatError,
    format_intervals,
    parse_hours_spec,
)
from app.services import audit, versions
from app.services.errors import InvalidInput, NotFound
from app.services.events import Change
from app.services.practice import Practice
from app.services.values import parse_money


@dataclass(frozen=True)
class SettingsView:
    name: str
    timezone: str
    country: str
    currency: str
    language: str
    hours: dict[str, str]  # "mon" -> "08:00-12:00,13:00-19:00" or "closed"
    cancel_notice_minutes: int
    cancel_fee_cents: int
    address: str = ""  # where sessions happen, for the client's e-mails
    # The settings row's, as the form was filled (versions.py); the practice's
    # working hours changing raises it too.
    version: int = 0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["version"]
        data["cancel_fee"] = self.cancel_fee_cents / 100
        return data


def load_row(s: Session) -> models.PracticeSettings:
    """The settings row as an object, for changing it."""
    row = s.exec(select(models.PracticeSettings)).first()
    assert row is not None, "open_practice() creates the settings row"
    return row


def _plain_rows(s: Session, statement: Any) -> Sequence[Any]:
    """`statement`, made of the plain tables (app.models.plain_tables), read in `s`
    after what `s` holds unwritten is written: reads that way need no table class."""
    s.flush()
    return s.connection().execute(statement).all()


def _settings_row(s: Session) -> Any:
    rows = _plain_rows(s, core_select(plain_tables.practice_settings).limit(1))
    assert rows, "open_practice() creates the settings row"
    return rows[0]


# Built once: a search or a week asks for the zone on each reading, and building
# the statement cost SQLAlchemy more than reading it.
_ZONE = core_select(plain_tables.practice_settings.c.timezone).limit(1)


def practice_zone(s: Session) -> ZoneInfo:
    """The practice's time zone. Read alone: a search or a week asks for it on each
    reading, and the whole settings row costs several times more to read."""
    rows = _plain_rows(s, _ZONE)
    assert rows, "open_practice() creates the settings row"
    return ZoneInfo(rows[0].timezone)


def practice_hours(s: Session, staff_id: int | None = None) -> dict[int, list[tuple[time, time]]]:
    """The open intervals per weekday for a professional: their own if they have any,
    else the practice's."""
    hours = plain_tables.working_hours
    rows: Sequence[Any] = []
    if staff_id is not None:
        rows = _plain_rows(s, core_select(hours).where(hours.c.staff_id == staff_id))
    if not rows:
        rows = _plain_rows(s, core_select(hours).where(hours.c.staff_id.is_(None)))
    out: dict[int, list[tuple[time, time]]] = {}
    for r in rows:
        out.setdefault(r.weekday, []).append((r.start, r.end))
    for intervals in out.values():
        intervals.sort()
    return out


def get(p: Practice) -> SettingsView:
    with p.db.read() as s:
        return _view(s)


def _view(s: Session) -> SettingsView:
    row = _settings_row(s)
    hours = practice_hours(s)
    return SettingsView(
        name=row.name, timezone=row.timezone, country=row.country, currency=row.currency,
        language=row.language,
        hours={key: format_intervals(hours.get(i, [])) for i, key in enumerate(WEEKDAY_KEYS)},
        cancel_notice_minutes=row.cancel_notice_minutes, cancel_fee_cents=row.cancel_fee_cents,
        address=row.address, version=row.version)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(_("'{value}' is not a time zone (e.g. America/Sao_Paulo).")
                           .format(value=value)) from None
    return value


def _country(value: str) -> str:
    import phonenumbers  # here: reading the settings needs no phone metadata

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(_("'{value}' is not a country code (e.g. BR, PT, US).")
                           .format(value=value))
    return code


def _currency(value: str) -> str:
    from babel.numbers import list_currencies

    code = value.strip().upper()
    if code not in list_currencies():
        raise InvalidInput(_("'{value}' is not a currency code (e.g. BRL, EUR).")
                           .format(value=value))
    return code


def parse_language(value: str) -> str:
    """A language setting: "" (or "system") to follow the system, else one of
    SUPPORTED. Raises InvalidInput."""
    value = (value or "").strip()
    if value in ("", "system"):
        return ""
    if value not in SUPPORTED:
        raise InvalidInput(_("Language must be one of: {choices}.")
                           .format(choices=", ".join(SUPPORTED)))
    return value


def parse_notice(value: str) -> int:
    """'24' or '24h' hours, '90m' minutes -> minutes."""
    m = re.fullmatch(r"\s*(\d+)\s*(h|m|min)?\s*", value.lower())
    if not m:
        raise InvalidInput(_("'{value}' is not a notice period (e.g. 24h or 90m).")
                           .format(value=value))
    amount, unit = int(m.group(1)), m.group(2) or "h"
    return amount if unit.startswith("m") else amount * 60


_SIMPLE: dict[str, tuple[str, Callable[[str], object]]] = {
    "name": ("name", lambda v: v.strip() or _raise(_("The practice needs a name."))),
    "timezone": ("timezone", _zone),
    "country": ("country", _country),
    "currency": ("currency", _currency),
    "language": ("language", parse_language),
    "cancel_notice": ("cancel_notice_minutes", parse_notice),
    "cancel_fee": ("cancel_fee_cents", parse_money),
    "address": ("address", lambda v: " ".join(v.split())),
}

KEYS = (*_SIMPLE.keys(), "hours")


def _raise(message: str) -> str:
    raise InvalidInput(message)


def set_value(p: Practice, key: str, value: str) -> SettingsView:
    """Change one setting; `hours` takes 'mon-fri 08:00-19:00' or 'sat closed'."""
    return set_values(p, [(key, value)])


def set_values(p: Practice, changes: list[tuple[str, str]], *,
               expected_version: int | None = None) -> SettingsView:
    """Change several settings at once: all of them are saved, or none.
    expected_version: the version the form was filled from (SettingsView.version);
    another's change since raises ChangedMeanwhile and changes nothing. None: not
    checked (the command line, the set-up assistant)."""
    for key, _value in changes:
        if key not in KEYS:
            raise InvalidInput(_("Unknown setting '{key}'. Known settings: {keys}.")
                               .format(key=key, keys=", ".join(KEYS)))
    with p.db.write() as s:
        row = load_row(s)
        versions.refuse_if_changed(s, p.clock.now(), version=row.version,
                                   expected=expected_version, entity="settings",
                                   entity_id=None)
        before = _compared(_view(s))
        for key, value in changes:
            if key == "hours":
                _set_hours(s, value)
            else:
                attr, parse = _SIMPLE[key]
                setattr(row, attr, parse(value))
        s.flush()
        if _view(s).hours != before["hours"]:
            flag_modified(row, "version")  # hours are rows of their own: the form's too
            s.flush()
        after = _view(s)
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="settings", entity_id=None,
                     action="settings_changed", changes=audit.diff(before, _compared(after)))
    p.bus.publish(Change.of(settings=True))
    return after


def _compared(view: SettingsView) -> dict[str, object]:
    """What the audit trail compares: the settings without their version."""
    data = asdict(view)
    del data["version"]
    return data


def set_staff_hours(p: Practice, staff_id: int, specs: list[str] | None, *,
                    expected_version: int | None = None) -> None:
    """A professional's own hours ('mon-fri 09:00-17:00', ...), or None to follow
    the practice's. A change raises the professional's version (their form holds
    the hours); expected_version: the version that form was filled from (another's
    change since raises ChangedMeanwhile and changes nothing; None: not checked)."""
    with p.db.write() as s:
        staff = s.get(models.Staff, staff_id)
        if staff is None:
            raise NotFound(_("There is no professional with id {id}.").format(id=staff_id))
        versions.refuse_if_changed(s, p.clock.now(), version=staff.version,
                                   expected=expected_version, entity="staff",
                                   entity_id=staff_id)
        before = {k: format_intervals(v) for k, v in practice_hours(s, staff_id).items()}
        hours = models.WorkingHours
        for row in s.exec(select(hours).where(hours.staff_id == staff_id)):
            s.delete(row)
        s.flush()
        for spec in specs or []:
            _set_hours(s, spec, staff_id)
        if specs is not None and not s.exec(select(hours).where(
                hours.staff_id == staff_id)).first():
            raise InvalidInput(_("A professional needs at least one open interval."))
        s.flush()
        after = {k: format_intervals(v) for k, v in practice_hours(s, staff_id).items()}
        if after != before:
            flag_modified(staff, "version")
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="staff", entity_id=staff_id,
                     action="hours_changed", changes=audit.diff(
                         {str(k): v for k, v in before.items()},
                         {str(k): v for k, v in after.items()}))
    p.bus.publish(Change.of(staff=[staff_id]))


def staff_has_own_hours(p: Practice, staff_id: int) -> bool:
    with p.db.read() as s:
        hours = models.WorkingHours
        return s.exec(select(hours).where(hours.staff_id == staff_id)).first() is not None


def check_hours(spec: str) -> tuple[list[int], list[tuple[time, time]]]:
    """Parse 'mon-fri 08:00-19:00', refusing what cannot be read."""
    try:
        return parse_hours_spec(spec)
    except HoursFormatError as exc:
        said = hours_problem(exc)
        try:  # name the day when the days were read: the grid has seven rows
            days = parse_hours_spec(spec.split(None, 1)[0] + " closed")[0]
        except (HoursFormatError, IndexError):
            days = []
        if len(days) == 1:
            said = f"{first_upper(weekday_name(days[0], 'wide'))}: {said}"
        raise InvalidInput(said) from None


def hours_problem(exc: HoursFormatError) -> str:
    """What is wrong with typed working hours, in the user's language, with an example."""
    problem = {
        "weekday": _("'{part}' is not a day of the week"),
        "time": _("'{part}' is not a time"),
        "days_backwards": _("the days '{part}' run backwards"),
        "interval": _("'{part}' is not a start and an end"),
        "ends_before": _("'{part}' ends before it starts"),
        "overlap": _("two intervals overlap"),
        "shape": _("'{part}' does not say the days and the hours"),
    }.get(exc.kind, "{part}").format(part=exc.part)
    return _("Working hours not understood: {problem}. Write them like "
             "08:00-12:00,13:00-19:00, or closed.").format(problem=problem)


def _set_hours(s: Session, spec: str, staff_id: int | None = None) -> None:
    days, intervals = check_hours(spec)
    hours = models.WorkingHours
    owner = hours.staff_id == staff_id if staff_id is not None else col(hours.staff_id).is_(None)
    for row in s.exec(select(hours).where(owner, col(hours.weekday).in_(days))):
        s.delete(row)
    for day in days:
        for lo, hi in intervals:
            s.add(models.WorkingHours(staff_id=staff_id, weekday=day, start=lo, end=hi))


def working_hours(p: Practice, staff_id: int | None = None) -> dict[int, list[tuple[time, time]]]:
    """Open intervals per weekday for a professional (their own, else the practice's)."""
    with p.db.read() as s:
        return practice_hours(s, staff_id)
