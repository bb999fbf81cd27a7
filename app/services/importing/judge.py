"""Judging parsed rows against the database and against each other, without
writing: which client, service and professional each row means (existing or to
be created), and whether its session is ok, a conflict or invalid.

The same judgement runs for the review table and again inside the import's write
transaction, so a session booked in between is never double-booked silently.
Rows are judged in file order: a row that will be imported takes its time, and
later rows colliding with it say so ("row 12")."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.i18n import _, format_date, format_time
from app.models.enums import ACTIVE_STATUSES, OCCUPYING_STATUSES
from app.models.instants import later_minutes
from app.models.rules import Booked, Candidate, Hours, Rule, Violation, evaluate
from app.models.tables import Appointment, Client, Service, Staff
from app.services import phones
from app.services.catalog import service_rules
from app.services.errors import NotFound
from app.services.importing.cells import folded
from app.services.importing.rows import Row
from app.services.scheduling import Names, describe
from app.services.settings import practice_hours, practice_zone

# Rules that judge booking a future session; history is imported as it happened.
_FUTURE_ONLY = {Rule.OUTSIDE_HOURS, Rule.SERVICE_HOURS, Rule.DAILY_LIMIT}
_NEVER = {Rule.IN_PAST, Rule.MIN_NOTICE}
# The rules that judge a session by the others around it. A session already past
# is judged by these alone (FAR_AHEAD cannot hold for it): with no session near
# it, it is ok without asking the rules. A rule added to Rule and not sorted here
# makes _PAST_ALONE non-empty, and every past session goes to the rules again.
_BY_OTHERS = {Rule.STAFF_BUSY, Rule.CLIENT_BUSY}
_PAST_ALONE = set(Rule) - _NEVER - _FUTURE_ONLY - _BY_OTHERS - {Rule.FAR_AHEAD}


class RowStatus(StrEnum):
    OK = "ok"
    CONFLICT = "conflict"
    INVALID = "invalid"
    IMPORTED = "imported"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Verdict:
    row: int
    status: RowStatus
    reason: str = ""
    appointment_id: int | None = None  # the session in the way
    other_row: int | None = None  # the earlier row in the way
    overridable: bool = False  # a conflict override takes (never a copy of a session)
    overridden: tuple[str, ...] = ()  # conflicts accepted by override
    overlaps: bool = False  # one of them another session of the professional at that time


@dataclass(slots=True)
class Resolved:
    """What a valid row means. Ids below zero are things the import will create."""

    client_id: int
    staff_id: int
    service_id: int | None
    duration: int
    buffer_before: int
    buffer_after: int
    price_cents: int


@dataclass
class NewThing:
    key: int  # the negative id rows use for it
    name: str
    first_row: int
    phone: str | None = None
    email: str | None = None
    duration: int = 0
    price_cents: int = 0


@dataclass
class Judgement:
    verdicts: list[Verdict]
    resolved: list[Resolved | None]
    new_clients: list[NewThing] = field(default_factory=list)
    new_services: list[NewThing] = field(default_factory=list)
    new_staff: list[NewThing] = field(default_factory=list)

    def count(self, status: RowStatus) -> int:
        return sum(1 for v in self.verdicts if v.status is status)


class _Context:
    """What the database says, read once per judgement."""

    def __init__(self, s: Session, rows: list[Row], now: datetime) -> None:
        self.now = now
        self.zone = practice_zone(s)
        self.by_phone: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.client_names: dict[int, str] = {}
        for cid, name, phone, email in s.exec(select(
                Client.id, Client.name, Client.phone, Client.email).order_by(col(Client.id))):
            assert cid is not None
            self.client_names[cid] = name
            if phone:
                self.by_phone.setdefault(phones.key(phone), cid)
            if email:
                self.by_email.setdefault(email.lower(), cid)
        services = list(s.exec(select(Service).order_by(col(Service.id))))
        self.services: dict[str, Service] = {}  # by folded name; active ones win a name
        for sv in sorted(services, key=lambda x: not x.active):
            self.services.setdefault(folded(sv.name), sv)
        self.service_by_id = {sv.id: sv for sv in services if sv.id is not None}
        self.rules = {sv.id: service_rules(sv) for sv in services if sv.id is not None}
        active = [sv for sv in services if sv.active]
        self.only_service = active[0] if len(active) == 1 else None
        self.staff: dict[str, tuple[int, str]] = {}
        self.staff_names: dict[int, str] = {}
        staff = list(s.exec(select(Staff).order_by(col(Staff.id))))
        for st in sorted(staff, key=lambda x: not x.active):
            assert st.id is not None
            self.staff.setdefault(folded(st.name), (st.id, st.name))
            self.staff_names[st.id] = st.name
        first = next((st for st in staff if st.active), None)
        if first is None or first.id is None:
            raise NotFound(_("The practice has no active professional."))
        self.default_staff = first.id
        self._hours: dict[int | None, Hours] = {None: practice_hours(s, None)}
        for st in staff:
            self._hours[st.id] = practice_hours(s, st.id)
        self.booked: list[Booked] = []
        self.existing: dict[tuple[int, datetime], int] = {}  # (client, start) -> session
        starts = [r.start for r in rows if r.start is not None]
        if starts:
            lo, hi = min(starts) - timedelta(days=2), max(starts) + timedelta(days=2)
            a = Appointment.__table__.c  # type: ignore[attr-defined]
            query = sa_select(a.id, a.start, a.duration_minutes, a.staff_id, a.client_id,
                              a.service_id, a.buffer_before_minutes, a.buffer_after_minutes,
                              a.status).where(a.start >= lo, a.start < hi)
            for aid, start, minutes, staff_id, client_id, service_id, bb, ba, status in \
                    s.execute(query):
                assert aid is not None
                # A session since moved or cancelled is still the row imported
                # before: importing the file again adds nothing.
                self.existing.setdefault((client_id, start), aid)
                if status in OCCUPYING_STATUSES:
                    self.booked.append(Booked(aid, start, later_minutes(start, minutes),
                                              staff_id, client_id, service_id,
                                              timedelta(minutes=bb), timedelta(minutes=ba)))

    def hours(self, staff_id: int) -> Hours:
        return self._hours.get(staff_id) or self._hours[None]


class _Spans:
    """The occupied spans (in UTC) of one professional or one client, kept sorted
    by start, so the ones that overlap a given span are found by bisection: only
    spans starting after `lo - longest` can still be running at `lo`."""

    __slots__ = ("_longest", "_spans", "_starts")

    def __init__(self) -> None:
        self._starts: list[datetime] = []
        self._spans: list[tuple[datetime, datetime, Booked]] = []
        self._longest = timedelta(0)

    def add(self, lo: datetime, hi: datetime, b: Booked) -> None:
        at = bisect_right(self._starts, lo)  # equal starts keep the order they came in
        self._starts.insert(at, lo)
        self._spans.insert(at, (lo, hi, b))
        self._longest = max(self._longest, hi - lo)

    def overlapping(self, lo: datetime, hi: datetime) -> list[Booked]:
        """The sessions whose span meets [lo, hi) (half-open), earliest first."""
        first = bisect_right(self._starts, lo - self._longest)
        last = bisect_left(self._starts, hi, first)
        return [b for s_lo, s_hi, b in self._spans[first:last] if s_hi > lo]

    def starting(self, lo: datetime, hi: datetime) -> list[Booked]:
        """The sessions whose span starts in [lo, hi), earliest first."""
        first = bisect_left(self._starts, lo)
        return [b for _lo, _hi, b in self._spans[first:bisect_left(self._starts, hi, first)]]


class _Agenda:
    """Occupied time by professional (with each session's buffers) and by client
    (without), as interval indexes: built once from the agenda's sessions in the
    file's date span, then grown by every row accepted. `near` hands the booking
    rules (rules.evaluate, which still judges every one) only the sessions that
    can matter to a candidate, instead of every session of its days."""

    # A session on the candidate's local day starts within a day and a zone's
    # offset of it: the daily limit is counted among these.
    _DAY = timedelta(days=2)

    def __init__(self, booked: Iterable[Booked]) -> None:
        self._by_staff: dict[int, _Spans] = defaultdict(_Spans)
        self._by_client: dict[int, _Spans] = defaultdict(_Spans)
        for b in booked:
            self.add(b)

    def add(self, b: Booked) -> None:
        start, end = b.start.astimezone(UTC), b.end.astimezone(UTC)
        self._by_staff[b.staff_id].add(start - b.buffer_before, end + b.buffer_after, b)
        self._by_client[b.client_id].add(start, end, b)

    def near(self, staff_id: int, client_id: int, start: datetime, end: datetime,
             before: timedelta, after: timedelta, *, daily_limit: bool) -> list[Booked]:
        """The sessions that may clash with a candidate from `start` to `end` (UTC)
        with its buffers: its professional's whose buffered span meets its own, its
        client's that overlap it, and (daily_limit) every session of its
        professional starting within two days of it."""
        staff = self._by_staff.get(staff_id)
        found: dict[int, Booked] = {}
        if staff is not None:
            for b in staff.overlapping(start - before, end + after):
                found[id(b)] = b
        client = self._by_client.get(client_id)
        if client is not None:
            for b in client.overlapping(start, end):
                found.setdefault(id(b), b)
        if daily_limit and staff is not None:
            for b in staff.starting(start - self._DAY - staff._longest, start + self._DAY):
                found.setdefault(id(b), b)
        return list(found.values())


def _resolve(ctx: _Context, row: Row, j: Judgement, new_clients: dict[str, NewThing],
             new_services: dict[str, NewThing], new_staff: dict[str, NewThing]
             ) -> Resolved | str:
    """The row's client, professional and service, or why they cannot be known."""
    client_id = ctx.by_phone.get(phones.key(row.phone)) or \
        (ctx.by_email.get(row.email.lower()) if row.email else None)
    if client_id is None:
        thing = new_clients.get(phones.key(row.phone))
        if thing is None:
            thing = NewThing(-(len(new_clients) + 1), row.name, row.row, row.phone, row.email)
            new_clients[phones.key(row.phone)] = thing
            j.new_clients.append(thing)
        elif thing.email is None and row.email:
            thing.email = row.email
        client_id = thing.key
    staff_key = folded(row.staff)
    if not staff_key:
        staff_id = ctx.default_staff
    elif staff_key in ctx.staff:
        staff_id = ctx.staff[staff_key][0]
    else:
        st = new_staff.get(staff_key)
        if st is None:
            st = NewThing(-(len(new_staff) + 1), row.staff, row.row)
            new_staff[staff_key] = st
            j.new_staff.append(st)
        staff_id = st.key
    service_key = folded(row.service)
    known = ctx.services.get(service_key) if service_key else ctx.only_service
    if known is not None:
        assert known.id is not None
        return Resolved(client_id, staff_id, known.id, row.duration or known.duration_minutes,
                        known.buffer_before_minutes, known.buffer_after_minutes,
                        row.price_cents if row.price_cents is not None else known.price_cents)
    if not service_key:
        return _("Service: required, because the practice has several services.") \
            if ctx.services else _("Service: required, because the practice has no service yet.")
    sv = new_services.get(service_key)
    if sv is None:
        if row.duration is None:
            return _("Duration: required for {service}, a service the practice does not have "
                     "yet.").format(service=row.service)
        sv = NewThing(-(len(new_services) + 1), row.service, row.row, duration=row.duration,
                      price_cents=row.price_cents or 0)
        new_services[service_key] = sv
        j.new_services.append(sv)
    return Resolved(client_id, staff_id, sv.key, row.duration or sv.duration, 0, 0,
                    row.price_cents if row.price_cents is not None else sv.price_cents)


def judge_rows(s: Session, rows: list[Row], now: datetime,
               overrides: Collection[int] | bool = ()) -> Judgement:
    """Every row's verdict. `overrides`: row numbers whose conflicts are accepted,
    or True for all of them."""
    ctx = _Context(s, rows, now)
    agenda = _Agenda(ctx.booked)
    j = Judgement([], [])
    new_clients: dict[str, NewThing] = {}
    new_services: dict[str, NewThing] = {}
    new_staff: dict[str, NewThing] = {}
    copies: dict[tuple[int, datetime], int] = {}  # (client, start) -> earlier row
    known: dict[tuple[object, ...], Resolved] = {}
    for row in rows:
        if row.problem is not None:
            j.verdicts.append(Verdict(row.row, RowStatus.INVALID, row.problem))
            j.resolved.append(None)
            continue
        assert row.start is not None
        # Rows that name the same client, professional and service mean the same
        # things once they have been understood (_resolve only creates what it has
        # not met before); a refusal is not kept: a later row may create the service.
        meaning = (row.phone, row.email, row.staff, row.service, row.duration, row.price_cents)
        res = known.get(meaning) or _resolve(ctx, row, j, new_clients, new_services, new_staff)
        if isinstance(res, str):
            j.verdicts.append(Verdict(row.row, RowStatus.INVALID, res))
            j.resolved.append(None)
            continue
        known[meaning] = res
        j.resolved.append(res)
        key = (res.client_id, row.start)
        if key in ctx.existing:
            j.verdicts.append(Verdict(
                row.row, RowStatus.CONFLICT,
                _("Already in the agenda as session #{id}.").format(id=ctx.existing[key]),
                appointment_id=ctx.existing[key]))
            continue
        if key in copies:
            j.verdicts.append(Verdict(
                row.row, RowStatus.CONFLICT,
                _("The same session as row {row}.").format(row=copies[key]),
                other_row=copies[key]))
            continue
        verdict = _judge_one(ctx, agenda, row, res, j, overrides)
        j.verdicts.append(verdict)
        if verdict.status is RowStatus.OK:
            copies[key] = row.row
            if row.status in OCCUPYING_STATUSES:
                agenda.add(Booked(-row.row, row.start, later_minutes(row.start, res.duration),
                                  res.staff_id, res.client_id, res.service_id,
                                  timedelta(minutes=res.buffer_before),
                                  timedelta(minutes=res.buffer_after)))
    return j


def _judge_one(ctx: _Context, agenda: _Agenda, row: Row, res: Resolved, j: Judgement,
               overrides: Collection[int] | bool) -> Verdict:
    if row.status not in OCCUPYING_STATUSES:
        return Verdict(row.row, RowStatus.OK)
    assert row.start is not None
    duration = timedelta(minutes=res.duration)
    before, after = timedelta(minutes=res.buffer_before), timedelta(minutes=res.buffer_after)
    start = row.start.astimezone(UTC)
    rules = ctx.rules.get(res.service_id or 0)
    near = agenda.near(res.staff_id, res.client_id, start, start + duration, before, after,
                       daily_limit=rules is not None and rules.max_per_day is not None)
    if not near and start < ctx.now and not _PAST_ALONE:
        return Verdict(row.row, RowStatus.OK)
    cand = Candidate(row.start, duration, res.staff_id, res.client_id, res.service_id,
                     before, after)
    future = row.start >= ctx.now and row.status in ACTIVE_STATUSES
    violations = [v for v in evaluate(cand, now=ctx.now, zone=ctx.zone,
                                      hours=ctx.hours(res.staff_id), booked=near,
                                      service=rules)
                  if v.rule not in _NEVER and (future or v.rule not in _FUTURE_ONLY)]
    if not violations:
        return Verdict(row.row, RowStatus.OK)
    reasons = [_reason(ctx, v, cand, row, res, j) for v in violations]
    first = violations[0].other
    in_way = first.appointment_id if first is not None and first.appointment_id > 0 else None
    other_row = -first.appointment_id if first is not None and first.appointment_id < 0 else None
    if overrides is True or (not isinstance(overrides, bool) and row.row in overrides):
        return Verdict(row.row, RowStatus.OK, " ".join(reasons), in_way, other_row,
                       overridable=True, overridden=tuple(reasons),
                       overlaps=any(v.rule is Rule.STAFF_BUSY for v in violations))
    return Verdict(row.row, RowStatus.CONFLICT, " ".join(reasons), in_way, other_row,
                   overridable=True)


def _reason(ctx: _Context, v: Violation, cand: Candidate, row: Row, res: Resolved,
            j: Judgement) -> str:
    staff = dict(ctx.staff_names)
    staff.update({t.key: t.name for t in j.new_staff})
    clients = {res.client_id: row.name}
    if v.other is not None and v.other.appointment_id < 0:
        o = v.other
        span = _("{day} {start}–{end}").format(
            day=format_date(o.start.astimezone(ctx.zone)),
            start=format_time(o.start.astimezone(ctx.zone)),
            end=format_time(o.end.astimezone(ctx.zone)))
        if v.rule is Rule.STAFF_BUSY:
            return _("{staff} is already busy {span} with the session of row {row}.").format(
                staff=staff.get(cand.staff_id, "?"), span=span, row=-o.appointment_id)
        return _("{client} already has a session {span} in row {row}.").format(
            client=row.name, span=span, row=-o.appointment_id)
    if v.other is not None:
        clients[v.other.client_id] = ctx.client_names.get(v.other.client_id, "?")
    service = ctx.service_by_id.get(res.service_id or 0)
    return describe(v, cand, Names(clients, staff), ctx.zone, ctx.hours(res.staff_id), service,
                    row.name).message
