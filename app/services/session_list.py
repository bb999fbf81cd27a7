"""The list of sessions (seed 002's "Dashboard > Appointments"): every session
across professionals, filtered, sorted, counted, and read a page at a time, so
the window stays instant with a hundred thousand of them.

A `Listing` is the whole question (filters and order); `count()`, `page()` and
`every()` answer it, so what is counted, what is shown and what is exported are
always the same sessions in the same order."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, String, bindparam, case, false, func, not_
from sqlalchemy import select as core_select
from sqlmodel import Session

from app import i18n
from app.i18n import _
from app.models.enums import AppointmentSource, AppointmentStatus
from app.models.plain_tables import appointment, client, service, staff
from app.services import clients, people, planner_statistics, queries
from app.services.errors import InvalidInput
from app.services.practice import Practice
from app.services.queries import AppointmentView, local_midnight
from app.services.scheduling import source_label, status_label
from app.services.settings import practice_zone

# The columns the list can be sorted by, in the order the window shows them.
SORTS = ("client", "phone", "service", "start", "duration", "status", "source", "staff")
# Rows read at a time as the list scrolls: three screens of a laptop's, what the
# window shows first and reads ahead (~2.6 ms on 100,000 sessions; 100 took ~4 ms
# and 200 7-8 ms, most of it making the rows' views).
PAGE = 60


@dataclass(frozen=True)
class Listing:
    """Which sessions, in which order. Dates are the practice's local days, both
    inclusive; empty tuples mean any; `text` matches the client's name, phone or
    e-mail."""

    start: date | None = None
    end: date | None = None
    statuses: tuple[AppointmentStatus, ...] = ()
    staff_id: int | None = None
    sources: tuple[AppointmentSource, ...] = ()
    text: str = ""
    sort: str = "start"
    descending: bool = False

    def check(self) -> None:
        """Raises InvalidInput for an order the list does not know or a period
        that ends before it begins."""
        if self.sort not in SORTS:
            raise InvalidInput(_("Sessions cannot be sorted by '{key}'.").format(key=self.sort))
        if self.start and self.end and self.end < self.start:
            raise InvalidInput(_("The period ends before it begins."))


@dataclass(frozen=True)
class _Shape:
    """What a listing's statements are made of, without the values they are asked
    with: the same shape is the same statement, built once (building one cost
    ~0.2-0.4 ms of SQLAlchemy's work on every answer and page; the values are
    bound to it each time, see _values). `found`: "" no text, "in" or "not in"
    the clients found handed on as one value, "text" the text's own condition
    in the statement (a page read ahead, an export, or too many clients found
    either way to hand on; built each time)."""

    start: bool
    end: bool
    statuses: bool
    staff: bool
    sources: bool
    found: str
    sort: str
    descending: bool
    by_start: bool  # the clients' sessions not looked up by client (_walk_by_start)
    on_sqlite: bool
    language: str  # the words a status or an origin is sorted by


def _shape(listing: Listing, found: Found | None, on_sqlite: bool,
           by_start: bool = False) -> _Shape:
    if found is not None:
        kind = "" if found.others and not found.ids else "not in" if found.others else "in"
    else:  # (a text that finds nothing to match leaves the statement as it is)
        kind = "text" if listing.text.strip() else ""
    return _Shape(listing.start is not None, listing.end is not None, bool(listing.statuses),
                  listing.staff_id is not None, bool(listing.sources), kind, listing.sort,
                  listing.descending, by_start, on_sqlite, i18n.current_language())


def _values(listing: Listing, zone: ZoneInfo, found: Found | None = None) -> dict[str, Any]:
    """The values a statement of the listing's shape is asked with: its dates as
    UTC instants from the practice's local midnights, and the clients found."""
    values: dict[str, Any] = {}
    if listing.start is not None:
        values["start"] = local_midnight(listing.start, zone)
    if listing.end is not None:
        values["end"] = local_midnight(listing.end + timedelta(days=1), zone)
    if listing.statuses:
        values["statuses"] = list(listing.statuses)
    if listing.staff_id is not None:
        values["staff"] = listing.staff_id
    if listing.sources:
        values["sources"] = list(listing.sources)
    if found is not None and (found.ids or not found.others):  # none found: none listed
        values["found"] = json.dumps(found.ids) if found.on_sqlite else list(found.ids)
    return values


def _filtered(query: Any, shape: _Shape, text: str = "") -> Any:
    """`query` narrowed to the sessions of a listing of `shape`, its values left to
    bind (_values). `text`: the listing's, where its condition is in the statement
    (shape.found == "text")."""
    if shape.start:
        query = query.where(appointment.c.start >= bindparam("start"))
    if shape.end:
        query = query.where(appointment.c.start < bindparam("end"))
    if shape.statuses:
        query = query.where(appointment.c.status.in_(bindparam("statuses", expanding=True)))
    if shape.staff:
        query = query.where(appointment.c.staff_id == bindparam("staff"))
    if shape.sources:
        query = query.where(appointment.c.source.in_(bindparam("sources", expanding=True)))
    # The clients found first (a few among thousands), then their sessions: a join
    # tested every session's client in turn.
    # "+ 0" keeps SQLite from looking the sessions up by client, so it walks them
    # in time order.
    client_id = appointment.c.client_id + 0 if shape.by_start else appointment.c.client_id
    if shape.found == "in":
        return query.where(client_id.in_(_listed_ids(shape.on_sqlite)))
    if shape.found == "not in":
        return query.where(client_id.not_in(_listed_ids(shape.on_sqlite)))
    condition = clients.matching(text, client) if shape.found == "text" else None
    if condition is None:
        return query
    return query.where(client_id.in_(core_select(client.c.id).where(condition)))


def _listed_ids(on_sqlite: bool) -> Any:
    """The ids found as one value a statement reads as a list (a JSON array on
    SQLite, an array on the server): as many values, one per id, cost SQLAlchemy
    ~10 µs each to bind on every statement (~4 ms for a search finding 300
    clients)."""
    if on_sqlite:
        return core_select(func.json_each(bindparam("found", type_=String()))
                           .table_valued("value").c.value)
    return core_select(func.unnest(bindparam("found", type_=ARRAY(Integer))))


def _by_label(column: Any, labels: dict[Any, str]) -> Any:
    """Order by the words people see (translated), not by the stored codes."""
    ranks = {value: rank for rank, value in enumerate(sorted(labels, key=lambda v: labels[v]))}
    return case(ranks, value=column, else_=len(ranks))


def _order(sort: str, descending: bool) -> list[Any]:
    # Only the order asked for is built (the words of every status and source are
    # looked up for theirs).
    keys: dict[str, Callable[[], Any]] = {
        "client": lambda: client.c.search_key,  # folded: "Érica" among the E's
        "phone": lambda: client.c.phone,
        "service": lambda: func.lower(func.coalesce(appointment.c.custom_service_name,
                                                    service.c.name)),
        "start": lambda: appointment.c.start,
        "duration": lambda: appointment.c.duration_minutes,
        "status": lambda: _by_label(appointment.c.status,
                                    {s: status_label(s) for s in AppointmentStatus}),
        "source": lambda: _by_label(appointment.c.source,
                                    {s: source_label(s.value) for s in AppointmentSource}),
        "staff": lambda: func.lower(staff.c.name),
    }
    key = keys[sort]()
    direction = key.desc() if descending else key.asc()
    # Ties keep the time order, so a page boundary never shuffles rows.
    tie: list[Any] = [appointment.c.start, appointment.c.id]
    if descending and sort == "start":
        tie = [appointment.c.id.desc()]
    return [direction, *tie]


def count(p: Practice, listing: Listing) -> int:
    """How many sessions the listing holds."""
    listing.check()
    with p.db.read() as s:
        return _count(s, listing, practice_zone(s))


def _count(s: Session, listing: Listing, zone: ZoneInfo, found: Found | None = None
           ) -> int:
    conn = s.connection()
    on_sqlite = conn.dialect.name == "sqlite"

    def counted(listing: Listing, found: Found | None) -> int:
        shape = _shape(listing, found, on_sqlite)
        statement = _counting(shape) if shape.found != "text" else \
            _filtered(core_select(func.count()).select_from(appointment), shape, listing.text)
        return int(conn.execute(statement, _values(listing, zone, found)).scalar_one())

    if found is not None and found.others:
        # Most clients found: the sessions of the few others taken from all the
        # filters hold ("5" finds every client by the country code: counting their
        # 100,000 sessions one by one took ~12 ms, this ~0.1 ms).
        every_one = counted(replace(listing, text=""), None)
        if not found.ids:
            return every_one
        return every_one - counted(listing, replace(found, others=False))
    return counted(listing, found)


@lru_cache(maxsize=256)
def _counting(shape: _Shape) -> Any:
    """The statement counting a listing of `shape`'s sessions, built once."""
    return _filtered(core_select(func.count()).select_from(appointment), shape)


# A search finding at most this many clients has them looked up once for its count
# and its page (the clients are scanned once, not twice: ~1-3 ms on 5,000); past
# it, each statement finds them itself, as a statement holds a limited number of
# values.
FOUND_AT_MOST = 500


@dataclass(frozen=True)
class Found:
    """The clients a listing's text finds, as their ids or, where the text finds
    most of them, as the ids of the others (`others`)."""

    ids: list[int]
    on_sqlite: bool  # the statements that read them are SQLite's
    others: bool = False


def _clients_found(s: Session, listing: Listing) -> Found | None:
    """The clients the listing's text finds, or None: no text, or too many found
    and too many not found to hand from one statement to the next."""
    condition = clients.matching(listing.text, client)
    if condition is None:
        return None
    conn = s.connection()
    on_sqlite = conn.dialect.name == "sqlite"
    found = conn.execute(
        core_select(client.c.id).where(condition).limit(FOUND_AT_MOST + 1)).scalars().all()
    if len(found) <= FOUND_AT_MOST:
        return Found(list(found), on_sqlite)
    # A NULL (no phone) is "not found", not unknown.
    others = conn.execute(core_select(client.c.id).where(
        not_(func.coalesce(condition, false()))).limit(FOUND_AT_MOST + 1)).scalars().all()
    return Found(list(others), on_sqlite, others=True) \
        if len(others) <= FOUND_AT_MOST else None


def _paged(shape: _Shape, text: str = "") -> Any:
    """The statement reading a page of a listing of `shape` (its offset and limit
    bound as "offset" and "limit"). The ids of the page are found first, on the
    few columns the filters and the order need; rows are read whole only for the
    page: sorting or skipping whole rows (with their notes, their client, their
    pending requests) cost ~1 ms per thousand sessions passed over. The list shows
    no internal notes, so it reads none: nothing it does not show is held in the
    window, and who may read them is not worked out for each page (~0.5 ms)."""
    ids = core_select(appointment.c.id).select_from(appointment)
    if shape.sort in ("client", "phone"):
        ids = ids.join(client, client.c.id == appointment.c.client_id)
    if shape.sort == "service":
        ids = ids.outerjoin(service, service.c.id == appointment.c.service_id)
    if shape.sort == "staff":
        ids = ids.join(staff, staff.c.id == appointment.c.staff_id)
    order = _order(shape.sort, shape.descending)
    ids = _filtered(ids, shape, text).order_by(*order) \
        .offset(bindparam("offset")).limit(bindparam("limit"))
    return queries.listing_query(internal_notes=False).where(appointment.c.id.in_(ids)) \
        .order_by(*order)


_paging = lru_cache(maxsize=256)(_paged)  # the shapes without text in them, built once


def page(p: Practice, listing: Listing, offset: int = 0, limit: int = PAGE,
         total: int | None = None) -> list[AppointmentView]:
    """`limit` sessions of the listing from `offset` (0-based), in its order, as
    the list shows them: without their internal notes (every view says they are
    withheld; the session's own window reads them as its reader may). `total`: the
    listing's count, where the asker has it (it helps find a name search's pages
    sooner)."""
    listing.check()
    with p.db.read() as s:
        return _page(s, listing, practice_zone(s), offset, limit, total)


def answer(p: Practice, listing: Listing, offset: int = 0, limit: int = PAGE,
           known: int | None = None) -> tuple[int, list[AppointmentView]]:
    """(count(), page()) read in one transaction: the count and the rows agree,
    and the practice's zone and the reading are set up once (what the window asks
    each time a filter, an order or the data change). `known`: the count, where
    the asker has it (the same filters, nothing changed since): not counted again."""
    listing.check()
    with p.db.read() as s:
        zone = practice_zone(s)
        found = _clients_found(s, listing)
        total = _count(s, listing, zone, found) if known is None else known
        return total, _page(s, listing, zone, offset, limit, total, found)


def _page(s: Session, listing: Listing, zone: ZoneInfo, offset: int,
          limit: int, total: int | None = None, found: Found | None = None
          ) -> list[AppointmentView]:
    by_start = total is not None and _walk_by_start(s, listing, total, offset + limit)
    conn = s.connection()
    shape = _shape(listing, found, conn.dialect.name == "sqlite", by_start)
    statement = _paging(shape) if shape.found != "text" else _paged(shape, listing.text)
    values = _values(listing, zone, found) | {"offset": max(offset, 0), "limit": limit}
    return queries.listed_views(conn.execute(statement, values).all(), zone, None)


def _walk_by_start(s: Session, listing: Listing, matched: int, rows: int) -> bool:
    """Whether a name search's first `rows` sessions in time order are found sooner
    by walking every session in that order until they are met (~rows × sessions /
    matched of them passed) than by gathering the `matched` sessions of the clients
    found and sorting them all. A search that finds most clients ("5", the first
    digit of a phone; "ana") sorted 5,000-100,000 sessions for a page of 25
    (5-30 ms on 100,000). Judged on SQLite's statistics; the practice's server
    judges with its own."""
    if not listing.text.strip() or listing.sort != "start":
        return False
    sessions = planner_statistics.sessions_counted(s.connection())
    # Walking costs ~4 times more a session passed than gathering one (measured
    # on 100,000: "91", 2,000 found, gathered sooner; "mar", 5,700, walked sooner).
    return sessions is not None and matched * matched > 4 * rows * sessions


def every(p: Practice, listing: Listing) -> list[AppointmentView]:
    """All the listing's sessions, in its order: what *Exportar* writes."""
    listing.check()
    with p.db.read() as s:
        zone = practice_zone(s)
        conn = s.connection()
        shape = _shape(listing, None, conn.dialect.name == "sqlite")
        query = _filtered(queries.listing_query(), shape, listing.text)
        rows = conn.execute(query.order_by(*_order(listing.sort, listing.descending)),
                            _values(listing, zone)).all()
        access = people.notes_access(s, p, {r.client_id for r in rows})
    return queries.listed_views(rows, zone, access)
