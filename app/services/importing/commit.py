"""Writing an import: every accepted row in one transaction (all or nothing),
the clients, services and professionals it needs created first, one audit event
per session naming the file and row, and the default reminders of the sessions
still to come. The rows are judged again inside the transaction."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring as _text  # a str as JSON writes it, quotes included

from sqlmodel import Session, col, select

from app.i18n import _, format_number
from app.models.enums import ACTIVE_STATUSES, AppointmentSource, Channel
from app.models.tables import Appointment, AuditEvent, Client, Service, Staff
from app.services import audit, people, reminders
from app.services.catalog import PALETTE
from app.services.database import bulk_insert
from app.services.events import Change
from app.services.importing.judge import Judgement, NewThing, RowStatus, Verdict, judge_rows
from app.services.importing.pauses import cycle_collection_paused
from app.services.importing.rows import Row
from app.services.practice import Practice
from app.services.reminders import CONSENT
from app.services.storage import engines

BATCH = 2000
# One encoder for every audit entry (json.dumps with options builds one per call).
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class RowReport:
    row: int
    status: RowStatus
    reason: str
    appointment_id: int | None
    cause: str | None = None  # for a skipped row: conflict or invalid
    overridable: bool = False  # a conflict that override would take

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"row": self.row, "status": self.status.value,
                                  "reason": self.reason, "appointment_id": self.appointment_id}
        if self.cause:
            out["cause"] = self.cause
        return out


@dataclass
class Report:
    file: str
    dry_run: bool
    rows: list[RowReport]
    imported: int = 0
    skipped: int = 0
    would_import: int = 0
    clients_created: list[int] = field(default_factory=list)
    services_created: list[str] = field(default_factory=list)
    staff_created: list[str] = field(default_factory=list)
    service_ids: list[int] = field(default_factory=list)  # created, for the change bus
    staff_ids: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what reading the file had to guess

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "dry_run": self.dry_run, "imported": self.imported,
                "warnings": self.warnings,
                "skipped": self.skipped, "would_import": self.would_import,
                "clients_created": len(self.clients_created),
                "services_created": self.services_created, "staff_created": self.staff_created,
                "rows": [r.as_json() for r in self.rows]}


@cycle_collection_paused()
def dry_run(p: Practice, file_name: str, rows: list[Row],
            overrides: Collection[int] | bool = ()) -> Report:
    with p.db.read() as s:
        j = judge_rows(s, rows, p.clock.now(), overrides)
    report = Report(file_name, True, [
        RowReport(v.row, v.status, v.reason, v.appointment_id, overridable=v.overridable)
        for v in j.verdicts])
    report.would_import = j.count(RowStatus.OK)
    report.skipped = len(j.verdicts) - report.would_import
    used = {res.client_id for v, res in zip(j.verdicts, j.resolved, strict=True)
            if v.status is RowStatus.OK and res is not None}
    report.clients_created = [t.key for t in j.new_clients if t.key in used]  # as run() would
    report.services_created = [t.name for t in j.new_services]
    report.staff_created = [t.name for t in j.new_staff]
    return report


@cycle_collection_paused()
def run(p: Practice, file_name: str, rows: list[Row],
        overrides: Collection[int] | bool = (), *, batch: int = BATCH,
        consent: Collection[Channel] = ()) -> Report:
    """Write the rows judged OK in one transaction, `batch` sessions (and their audit
    events) per statement so memory stays flat; all or nothing. consent: the
    channels the clients this file creates agreed to (e-mail only where the row has
    an address), recorded now, before their reminders are planned."""
    now = p.clock.now()
    with p.db.write() as s:
        j = judge_rows(s, rows, now, overrides)
        report = _write(s, p, now, file_name, rows, j, max(1, batch), tuple(consent))
    p.bus.publish(Change.of(
        appointments=[r.appointment_id for r in report.rows
                      if r.status is RowStatus.IMPORTED and r.appointment_id],
        clients=report.clients_created, services=report.service_ids,
        staff=report.staff_ids))
    return report


def _next_id(s: Session, table: type[Client] | type[Appointment], count: int) -> int:
    """The first of `count` ids no row of the table ever had (see
    storage.engines.reserve_ids): the rows are then inserted in bulk with them."""
    return engines.reserve_ids(s.connection(), str(table.__tablename__), count)


def _write(s: Session, p: Practice, now: datetime, file_name: str, rows: list[Row],
           j: Judgement, batch: int, consent: tuple[Channel, ...] = ()) -> Report:
    origin = {"file": file_name, "by": p.actor}
    accepted = [(row, v, res) for row, v, res in zip(rows, j.verdicts, j.resolved, strict=True)
                if v.status is RowStatus.OK and res is not None]
    used_clients = {res.client_id for _r, _v, res in accepted}
    used_services = {res.service_id for _r, _v, res in accepted if res.service_id}
    used_staff = {res.staff_id for _r, _v, res in accepted}
    staff_ids = _create_staff(s, now, [t for t in j.new_staff if t.key in used_staff], origin,
                              used_staff)
    service_ids = _create_services(s, now, [t for t in j.new_services
                                            if t.key in used_services], origin)
    client_ids = _create_clients(s, now, [t for t in j.new_clients if t.key in used_clients],
                                 origin, consent)
    first_id = _next_id(s, Appointment, len(accepted))
    sessions: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    ids: dict[int, int] = {}  # row -> new session
    coming: list[tuple[int, datetime, int]] = []  # (session, start, client) for reminders
    created = _CreatedText(origin)
    for offset, (row, v, res) in enumerate(accepted):
        if len(sessions) == batch:  # written as it goes, so memory stays flat
            bulk_insert(s, Appointment, sessions)
            bulk_insert(s, AuditEvent, events)
            sessions, events = [], []
        assert row.start is not None
        new_id = first_id + offset
        ids[row.row] = new_id
        values: dict[str, object] = {
            "id": new_id, "client_id": client_ids.get(res.client_id, res.client_id),
            "service_id": service_ids.get(res.service_id, res.service_id)
            if res.service_id is not None else None,
            "custom_service_name": None,
            "staff_id": staff_ids.get(res.staff_id, res.staff_id), "start": row.start,
            "duration_minutes": res.duration, "buffer_before_minutes": res.buffer_before,
            "buffer_after_minutes": res.buffer_after, "status": row.status,
            "source": AppointmentSource.IMPORT, "quoted_price_cents": res.price_cents,
            "notes": row.notes, "created_at": now, "updated_at": now,
            "overlap_allowed": v.overlaps}
        sessions.append(values)
        if row.status in ACTIVE_STATUSES and row.start > now:
            coming.append((new_id, row.start, client_ids.get(res.client_id, res.client_id)))
        events.append({"at": now, "actor": audit.IMPORT, "entity": "appointment",
                       "entity_id": new_id, "action": "created",
                       "changes": created(values, row, v.overridden)})
    bulk_insert(s, Appointment, sessions)
    bulk_insert(s, AuditEvent, events)
    _plan_reminders(s, now, coming)
    report = Report(file_name, False, [_row_report(v, ids.get(v.row)) for v in j.verdicts])
    report.imported = len(ids)
    report.skipped = len(j.verdicts) - len(ids)
    report.clients_created = sorted(client_ids.values())
    report.services_created = [t.name for t in j.new_services if t.key in service_ids]
    report.staff_created = [t.name for t in j.new_staff if t.key in staff_ids]
    report.service_ids, report.staff_ids = list(service_ids.values()), list(staff_ids.values())
    return report


class _CreatedText:
    """The audit entry of an imported session: its values, the file, who imported it,
    the row, and the conflicts accepted by override, as
    json.dumps(changes, ensure_ascii=False, sort_keys=True) writes them. Written from
    a template with the keys in that order: the same text at a fraction of the cost,
    which for 10,000 sessions is a large part of the import's own time."""

    def __init__(self, origin: dict[str, str]) -> None:
        self._by, self._file = _text(origin["by"]), _text(origin["file"])

    def __call__(self, values: dict[str, object], row: Row, overridden: tuple[str, ...]
                 ) -> str:
        assert row.start is not None
        override = f'"override": [{", ".join(map(_text, overridden))}], ' if overridden \
            else ""
        return (f'{{"by": {self._by}, "client_id": {_number(values["client_id"])}, '
                f'"duration_minutes": {_number(values["duration_minutes"])}, '
                f'"file": {self._file}, "notes": {_text(str(values["notes"]))}, {override}'
                f'"quoted_price_cents": {_number(values["quoted_price_cents"])}, '
                f'"row": {_number(row.row)}, "service_id": {_number(values["service_id"])}, '
                f'"source": "import", "staff_id": {_number(values["staff_id"])}, '
                f'"start": {_text(row.start.astimezone(UTC).isoformat())}, '
                f'"status": {_text(str(values["status"]))}}}')


def _number(value: object) -> str:
    """An int or None as JSON writes it."""
    if value is None:
        return "null"
    assert type(value) is int, value
    return str(value)


def _row_report(v: Verdict, new_id: int | None) -> RowReport:
    if new_id is not None:
        return RowReport(v.row, RowStatus.IMPORTED, v.reason, new_id)
    return RowReport(v.row, RowStatus.SKIPPED, v.reason, v.appointment_id, v.status.value)


def _event(now: datetime, entity: str, entity_id: int, action: str,
           changes: dict[str, object]) -> dict[str, object]:
    return {"at": now, "actor": audit.IMPORT, "entity": entity, "entity_id": entity_id,
            "action": action, "changes": _JSON.encode(changes)}


def _create_clients(s: Session, now: datetime, new: list[NewThing],
                    origin: dict[str, str], consent: tuple[Channel, ...] = ()) -> dict[int, int]:
    first = _next_id(s, Client, len(new))
    out = {t.key: first + i for i, t in enumerate(new)}

    def agreed(t: NewThing) -> list[Channel]:
        return [c for c in consent if c is not Channel.EMAIL or t.email]

    if new:
        bulk_insert(s, Client, [
            {"id": out[t.key], "name": t.name, "phone": t.phone, "email": t.email,
             "notes": "", "active": True, "created_at": now,
             # every row with the same columns: one statement for them all
             **{attr: now if c in agreed(t) else None for c, attr in CONSENT.items()}}
            for t in new])
        bulk_insert(s, AuditEvent, [
            _event(now, "client", out[t.key], "client_created",
                   {"name": t.name, "phone": t.phone, "email": t.email, **origin,
                    "row": t.first_row, "consent": [c.value for c in agreed(t)]})
            for t in new])
    return out


def _create_services(s: Session, now: datetime, new: list[NewThing],
                     origin: dict[str, str]) -> dict[int, int]:
    out: dict[int, int] = {}
    for t in new:
        sv = Service(name=t.name, duration_minutes=t.duration, price_cents=t.price_cents)
        s.add(sv)
        s.flush()
        assert sv.id is not None
        out[t.key] = sv.id
        audit.record(s, at=now, actor=audit.IMPORT, entity="service", entity_id=sv.id,
                     action="service_created", changes={
                         "name": t.name, "duration_minutes": t.duration,
                         "price_cents": t.price_cents, **origin, "row": t.first_row})
    return out


def _create_staff(s: Session, now: datetime, new: list[NewThing],
                  origin: dict[str, str], used: Collection[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    count = len(s.exec(select(Staff.id)).all())
    stand_in = _unused_stand_in(s, used) if new else None
    if stand_in is not None:
        # A new practice's stand-in professional, never given a name nor a session,
        # becomes the file's first professional instead of staying beside them.
        first, new = new[0], new[1:]
        assert stand_in.id is not None
        out[first.key] = stand_in.id
        audit.record(s, at=now, actor=audit.IMPORT, entity="staff", entity_id=stand_in.id,
                     action="staff_updated", changes={"name": [stand_in.name, first.name],
                                                      **origin, "row": first.first_row})
        stand_in.name = first.name
        s.add(stand_in)
        s.flush()
    for i, t in enumerate(new):
        st = Staff(name=t.name, color=PALETTE[(count + i) % len(PALETTE)])
        s.add(st)
        s.flush()
        assert st.id is not None
        out[t.key] = st.id
        audit.record(s, at=now, actor=audit.IMPORT, entity="staff", entity_id=st.id,
                     action="staff_created", changes={"name": t.name, **origin,
                                                      "row": t.first_row})
    return out


def _unused_stand_in(s: Session, used: Collection[int]) -> Staff | None:
    """The practice's only professional, when it is still the stand-in a new
    database made (people.stand_in_names) and has no session, nor any among the
    rows written now (`used`: their professionals' ids); else None."""
    staff = list(s.exec(select(Staff).limit(2)))
    if len(staff) != 1 or staff[0].name not in people.stand_in_names() or \
            staff[0].id in used:
        return None
    booked = s.exec(select(Appointment.id).where(Appointment.staff_id == staff[0].id)
                    .limit(1)).first()
    return None if booked is not None else staff[0]


def _plan_reminders(s: Session, now: datetime, coming: list[tuple[int, datetime, int]]) -> None:
    """The default reminders of the imported sessions still to come."""
    if not coming:
        return
    wanted = {client_id for _id, _start, client_id in coming}
    clients = {c.id: c for c in s.exec(select(Client).where(col(Client.id).in_(wanted)))}
    reminders.plan_new(s, now, [(i, start, clients[c]) for i, start, c in coming])


def summary(report: Report) -> str:
    """One paragraph for people."""
    if report.dry_run:
        return _("{file}: rows that can be imported: {ok}; rows that would be skipped: "
                 "{skipped}.").format(
            file=report.file, ok=format_number(report.would_import),
            skipped=format_number(report.skipped))
    return _("{file}: sessions imported: {imported}; rows skipped: {skipped}.").format(
        file=report.file, imported=format_number(report.imported),
        skipped=format_number(report.skipped))
