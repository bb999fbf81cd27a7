"""What the practice offers and who provides it: services and professionals."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import time, timedelta

from sqlmodel import Session, col, select

from app.i18n import _
from app.models.hours import HoursFormatError, format_end, parse_days, parse_intervals
from app.models.rules import ServiceRules
from app.models.tables import Service, Staff
from app.services import audit, versions
from app.services.errors import InvalidInput, NotFound
from app.services.events import Change
from app.services.practice import Practice
from app.services.values import non_negative_minutes, positive_minutes

PALETTE = ("#3b82f6", "#10b981", "#f59e0b", "#8b5cf6", "#ef4444", "#14b8a6")


@dataclass(frozen=True)
class ServiceView:
    id: int
    name: str
    duration_minutes: int
    price_cents: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    bookable_weekdays: str
    bookable_from: str | None
    bookable_until: str | None
    max_per_day: int | None
    version: int = 0  # the row's, as the form was filled (versions.py)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["version"]
        data["price"] = self.price_cents / 100
        return data


@dataclass(frozen=True)
class StaffView:
    id: int
    name: str
    color: str
    active: bool
    version: int = 0  # the row's, as the form was filled (versions.py)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["version"]
        return data


def service_view(sv: Service) -> ServiceView:
    assert sv.id is not None
    return ServiceView(sv.id, sv.name, sv.duration_minutes, sv.price_cents,
                       sv.buffer_before_minutes, sv.buffer_after_minutes, sv.min_notice_minutes,
                       sv.bookable_weekdays,
                       sv.bookable_from.strftime("%H:%M") if sv.bookable_from else None,
                       format_end(sv.bookable_until) if sv.bookable_until else None,
                       sv.max_per_day, sv.version)


def service_rules(sv: Service) -> ServiceRules:
    return ServiceRules(min_notice=timedelta(minutes=sv.min_notice_minutes),
                        bookable_weekdays=sv.bookable_weekdays, bookable_from=sv.bookable_from,
                        bookable_until=sv.bookable_until, max_per_day=sv.max_per_day)


def add_service(p: Practice, *, name: str, duration_minutes: int, price_cents: int = 0,
                buffer_before_minutes: int = 0, buffer_after_minutes: int = 0,
                min_notice_minutes: int = 0, bookable_days: str | None = None,
                bookable_hours: str | None = None, max_per_day: int | None = None) -> ServiceView:
    name, weekdays, lo, hi = _checked(name, duration_minutes, buffer_before_minutes,
                                      buffer_after_minutes, min_notice_minutes, bookable_days,
                                      bookable_hours, max_per_day)
    service = Service(name=name, duration_minutes=duration_minutes, price_cents=price_cents,
                      buffer_before_minutes=buffer_before_minutes,
                      buffer_after_minutes=buffer_after_minutes,
                      min_notice_minutes=min_notice_minutes, bookable_weekdays=weekdays,
                      bookable_from=lo, bookable_until=hi, max_per_day=max_per_day)
    with p.db.write() as s:
        s.add(service)
        s.flush()
        result = service_view(service)
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="service", entity_id=result.id,
                     action="service_created", changes=result.as_json())
    p.bus.publish(Change.of(services=[result.id]))
    return result


def _checked(name: str, duration: int, before: int, after: int, notice: int,
             days: str | None, hours: str | None, max_per_day: int | None
             ) -> tuple[str, str, time | None, time | None]:
    """A service's fields checked: its name, and bookable weekdays and hours."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("The service needs a name."))
    positive_minutes(duration, _("The duration"))
    non_negative_minutes(before, _("The buffer"))
    non_negative_minutes(after, _("The buffer"))
    non_negative_minutes(notice, _("The minimum notice"))
    if max_per_day is not None and max_per_day < 1:
        raise InvalidInput(_("The daily maximum must be at least 1."))
    return (name, *_bookable(days, hours))


def _bookable(days: str | None, hours: str | None) -> tuple[str, time | None, time | None]:
    try:
        weekdays = "".join(str(d) for d in parse_days(days)) if days else "0123456"
        lo = hi = None
        if hours:
            intervals = parse_intervals(hours)
            if len(intervals) != 1:
                raise HoursFormatError("one interval expected")
            lo, hi = intervals[0]
    except HoursFormatError as exc:
        raise InvalidInput(_("Bookable days or hours not understood ({problem}).")
                           .format(problem=exc)) from None
    return weekdays, lo, hi


def update_service(p: Practice, service_id: int, *, name: str, duration_minutes: int,
                   price_cents: int = 0, buffer_before_minutes: int = 0,
                   buffer_after_minutes: int = 0, min_notice_minutes: int = 0,
                   bookable_days: str | None = None, bookable_hours: str | None = None,
                   max_per_day: int | None = None,
                   expected_version: int | None = None) -> ServiceView:
    """Change a service. Sessions already booked keep their own duration and buffers.
    expected_version: the version the form was filled from (ServiceView.version);
    another's change since raises ChangedMeanwhile and changes nothing. None: not
    checked."""
    name, weekdays, lo, hi = _checked(name, duration_minutes, buffer_before_minutes,
                                      buffer_after_minutes, min_notice_minutes, bookable_days,
                                      bookable_hours, max_per_day)
    with p.db.write() as s:
        sv = get_service(s, service_id)
        versions.refuse_if_changed(s, p.clock.now(), version=sv.version,
                                   expected=expected_version, entity="service",
                                   entity_id=service_id)
        before = service_view(sv).as_json()
        sv.name, sv.duration_minutes, sv.price_cents = name, duration_minutes, price_cents
        sv.buffer_before_minutes, sv.buffer_after_minutes = (buffer_before_minutes,
                                                             buffer_after_minutes)
        sv.min_notice_minutes, sv.bookable_weekdays = min_notice_minutes, weekdays
        sv.bookable_from, sv.bookable_until, sv.max_per_day = lo, hi, max_per_day
        s.flush()  # the version raised by this change, for the view returned
        result = service_view(sv)
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="service", entity_id=service_id,
                     action="service_updated", changes=audit.diff(before, result.as_json()))
    p.bus.publish(Change.of(services=[service_id]))
    return result


def retire_service(p: Practice, service_id: int) -> None:
    """No longer offered; its sessions keep their history."""
    with p.db.write() as s:
        sv = get_service(s, service_id)
        sv.active = False
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="service", entity_id=service_id,
                     action="service_retired", changes={"active": [True, False]})
    p.bus.publish(Change.of(services=[service_id]))


def list_services(p: Practice) -> list[ServiceView]:
    with p.db.read() as s:
        return [service_view(sv) for sv in
                s.exec(select(Service).where(Service.active == True).order_by(Service.name))]  # noqa: E712


def get_service(s: Session, service_id: int) -> Service:
    sv = s.get(Service, service_id)
    if sv is None:
        raise NotFound(_("There is no service with id {id}.").format(id=service_id))
    return sv


def staff_view(st: Staff) -> StaffView:
    assert st.id is not None
    return StaffView(st.id, st.name, st.color, st.active, st.version)


def add_staff(p: Practice, *, name: str, color: str | None = None) -> StaffView:
    name = name.strip()
    if not name:
        raise InvalidInput(_("The professional needs a name."))
    with p.db.write() as s:
        count = len(s.exec(select(Staff.id)).all())
        staff = Staff(name=name, color=color or PALETTE[count % len(PALETTE)])
        s.add(staff)
        s.flush()
        result = staff_view(staff)
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="staff", entity_id=result.id,
                     action="staff_created", changes=result.as_json())
    p.bus.publish(Change.of(staff=[result.id]))
    return result


def rename_staff(p: Practice, staff_id: int, name: str, color: str | None = None, *,
                 expected_version: int | None = None) -> StaffView:
    """A professional's name and colour. expected_version: the version the form was
    filled from (StaffView.version); another's change since raises
    ChangedMeanwhile and changes nothing. None: not checked."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("The professional needs a name."))
    if color is not None and not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        raise InvalidInput(_("'{value}' is not a colour (e.g. #3b82f6).").format(value=color))
    with p.db.write() as s:
        staff = get_staff(s, staff_id)
        versions.refuse_if_changed(s, p.clock.now(), version=staff.version,
                                   expected=expected_version, entity="staff",
                                   entity_id=staff_id)
        before = staff_view(staff).as_json()
        staff.name = name
        staff.color = color or staff.color
        s.flush()  # the version raised by this change, for the view returned
        result = staff_view(staff)
        audit.record(s, at=p.clock.now(), actor=p.actor, entity="staff", entity_id=staff_id,
                     action="staff_updated", changes=audit.diff(before, result.as_json()))
    p.bus.publish(Change.of(staff=[staff_id]))
    return result


def list_staff(p: Practice) -> list[StaffView]:
    with p.db.read() as s:
        return [staff_view(st) for st in s.exec(select(Staff).order_by(col(Staff.id)))]


def get_staff(s: Session, staff_id: int) -> Staff:
    st = s.get(Staff, staff_id)
    if st is None:
        raise NotFound(_("There is no professional with id {id}.").format(id=staff_id))
    return st


def default_staff(s: Session) -> Staff:
    st = s.exec(select(Staff).where(Staff.active == True).order_by(col(Staff.id))).first()  # noqa: E712
    if st is None:
        raise NotFound(_("The practice has no active professional."))
    return st
