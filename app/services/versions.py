"""No lost updates: a form saved over another computer's change is refused.

The rows people edit in forms carry a `version` (raised by every committed change,
storage.change_feed); a form remembers the version it was filled from and its
save passes it as `expected_version`. Inside the save's write (one writer at a
time on both engines, so the check is not raced) `refuse_if_changed` compares
it with the row's and, when they differ, raises ChangedMeanwhile naming who
changed the row and when, from the audit trail (audit.py), in the practice's
time zone and the locale's time format: "Changed by Ana at 14:02 — reload".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app import models
from app.i18n import _, format_date, format_datetime, format_time
from app.services.audit import CLIENT, IMPORT, SYSTEM
from app.services.errors import ChangedMeanwhile

LOOK_BACK = 200  # audit entries of one kind read to find the newest about given keys


def refuse_if_changed(s: Session, now: datetime, *, version: int, expected: int | None,
                      entity: str, entity_id: int | None) -> None:
    """Raises ChangedMeanwhile when the form's `expected` version is not the row's
    `version` (None: no form, nothing checked). `entity`/`entity_id` as the audit
    trail names the row ("client", 12); `now` the practice's clock."""
    if expected is None or expected == version:
        return
    raise changed_meanwhile(s, now, entity, entity_id)


def refuse_if_keys_changed(s: Session, now: datetime, *, versions: dict[str, int],
                           expected: dict[str, int] | None, entity: str = "config") -> None:
    """For rows named by key (the configuration): raises ChangedMeanwhile when a key
    the form was filled from has another version now (0: a key never stored).
    `versions` holds the rows' versions now; keys the form did not read are not
    checked."""
    if not expected:
        return
    stale = [k for k, v in expected.items() if versions.get(k, 0) != v]
    if stale:
        raise changed_meanwhile(s, now, entity, None, stale)


def changed_meanwhile(s: Session, now: datetime, entity: str, entity_id: int | None,
                      keys: Iterable[str] = ()) -> ChangedMeanwhile:
    """The refusal, naming the newest audit entry about the row (for `keys`: the
    newest whose changes name one of them)."""
    query = select(models.AuditEvent).where(models.AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(models.AuditEvent.entity_id == entity_id)
    wanted = set(keys)
    found: models.AuditEvent | None = None
    for event in s.exec(query.order_by(col(models.AuditEvent.id).desc()).limit(
            LOOK_BACK if wanted else 1)):
        if not wanted or wanted & set(_changed_names(event.changes)):
            found = event
            break
    if found is None:
        return ChangedMeanwhile(_("Changed on another computer meanwhile — reload"))
    row = s.exec(select(models.PracticeSettings)).first()
    zone = ZoneInfo(row.timezone if row else "UTC")
    return ChangedMeanwhile(sentence(found.actor, found.at, now, zone), found.actor, found.at)


def _changed_names(changes: str) -> list[str]:
    try:
        data = json.loads(changes)
    except ValueError:
        return []
    return [str(k) for k in data] if isinstance(data, dict) else []


def sentence(actor: str, at: datetime, now: datetime, zone: ZoneInfo) -> str:
    """"Changed by Ana at 14:02 — reload" (on another day, with its date); the
    time in `zone`, written as the current locale writes times."""
    local = at.astimezone(zone)
    today = local.date() == now.astimezone(zone).date()
    if actor in (CLIENT, SYSTEM, IMPORT):
        when = format_time(local) if today else format_datetime(local)
        return {CLIENT: _("Changed by the client at {when} — reload"),
                SYSTEM: _("Changed by the system at {when} — reload"),
                IMPORT: _("Changed by an import at {when} — reload")}[actor].format(when=when)
    if today:
        return _("Changed by {who} at {time} — reload").format(who=actor,
                                                               time=format_time(local))
    return _("Changed by {who} on {date} at {time} — reload").format(
        who=actor, date=format_date(local.date()), time=format_time(local))
