"""Free start times honour every booking rule, and a slot offered can be booked."""

from __future__ import annotations

from datetime import date

from app.services import availability, catalog, scheduling, settings
from app.services.clock import FrozenClock
from app.services.practice import Practice
from app.services.scheduling import BookingRequest
from tests.conftest import add_client, add_service, local

MONDAY = date(2026, 11, 23)


def times(slots: list) -> list[str]:
    return [s.strftime("%H:%M") for s in slots]


def test_an_empty_day_offers_every_start_within_hours(practice: Practice) -> None:
    settings.set_value(practice, "hours", "mon 08:00-12:00,13:00-15:00")
    sv = add_service(practice, duration_minutes=60)
    assert times(availability.free_slots(practice, MONDAY, service_id=sv, step_minutes=30)) == [
        "08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00"]


def test_booked_sessions_and_buffers_are_taken_out(practice: Practice) -> None:
    settings.set_value(practice, "hours", "mon 08:00-12:00")
    sv = add_service(practice, duration_minutes=50, buffer_after_minutes=10)
    scheduling.book(practice, BookingRequest(client_id=add_client(practice),
                                             start=local("2026-11-23T09:00"), service_id=sv))
    free = times(availability.free_slots(practice, MONDAY, service_id=sv, step_minutes=15))
    # 09:00 session plus 10-minute wrap-up occupies 09:00-10:00; a new one needs its own.
    assert free == ["08:00", "10:00", "10:15", "10:30", "10:45", "11:00"]


def test_a_session_being_moved_frees_its_own_time(practice: Practice) -> None:
    """Rescheduling lists the day's free times as if the session were not there: its
    own hour and the minutes around it are free for it."""
    settings.set_value(practice, "hours", "mon 08:00-12:00")
    sv = add_service(practice, duration_minutes=50, buffer_after_minutes=10)
    moving = scheduling.book(practice, BookingRequest(
        client_id=add_client(practice), start=local("2026-11-23T09:00"), service_id=sv))
    free = times(availability.free_slots(practice, MONDAY, service_id=sv, step_minutes=30,
                                         ignoring=[moving]))
    assert free == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00"]
    assert availability.next_free(practice, local("2026-11-23T09:00"), service_id=sv,
                                  ignoring=[moving]) == local("2026-11-23T09:30")


def test_another_professionals_day_is_separate(practice: Practice) -> None:
    settings.set_value(practice, "hours", "mon 08:00-10:00")
    sv = add_service(practice, duration_minutes=60)
    other = catalog.add_staff(practice, name="Dr. Paulo").id
    scheduling.book(practice, BookingRequest(client_id=add_client(practice),
                                             start=local("2026-11-23T08:00"), service_id=sv))
    assert times(availability.free_slots(practice, MONDAY, service_id=sv, staff_id=other,
                                         step_minutes=60)) == ["08:00", "09:00"]


def test_past_times_and_notice_are_not_offered(practice: Practice, clock: FrozenClock) -> None:
    clock.set(local("2026-11-23T10:10"))
    settings.set_value(practice, "hours", "mon 08:00-13:00")
    sv = add_service(practice, duration_minutes=60, min_notice_minutes=60)
    assert times(availability.free_slots(practice, MONDAY, service_id=sv, step_minutes=30)) == [
        "11:30", "12:00"]


def test_every_offered_slot_can_be_booked(practice: Practice) -> None:
    sv = add_service(practice, duration_minutes=50, buffer_after_minutes=10, max_per_day=3)
    client = add_client(practice)
    for _ in range(3):
        first = availability.free_slots(practice, MONDAY, service_id=sv)[0]
        scheduling.book(practice, BookingRequest(client_id=client, start=first, service_id=sv))
    assert availability.free_slots(practice, MONDAY, service_id=sv) == []  # daily maximum


def test_free_ranges_merge_the_free_starts(practice: Practice) -> None:
    settings.set_value(practice, "hours", "mon 08:00-12:00")
    sv = add_service(practice, duration_minutes=60)
    scheduling.book(practice, BookingRequest(client_id=add_client(practice),
                                             start=local("2026-11-23T10:00"), service_id=sv))
    ranges = availability.free_ranges(practice, [MONDAY], service_id=sv, step_minutes=30)
    assert ranges == {MONDAY: [(local("2026-11-23T08:00"), local("2026-11-23T10:00")),
                               (local("2026-11-23T11:00"), local("2026-11-23T12:00"))]}


def test_the_next_free_time_fits_before_a_break_or_goes_after_it(
        practice: Practice, clock: FrozenClock) -> None:
    settings.set_value(practice, "hours", "mon-fri 08:00-12:00,13:00-19:00")
    therapy = add_service(practice)  # 50 minutes
    clock.set(local("2026-11-23T11:10"))  # Monday: 11:30 would run into the break
    assert availability.next_free(practice, clock.now(), service_id=therapy) == \
        local("2026-11-23T13:00")
    # A session at 13:00 pushes it on; after the day's last fit, the next working day.
    scheduling.book(practice, BookingRequest(client_id=add_client(practice),
                                             start=local("2026-11-23T13:00"),
                                             service_id=therapy))
    assert availability.next_free(practice, clock.now(), service_id=therapy) == \
        local("2026-11-23T14:00")
    clock.set(local("2026-11-27T18:20"))  # Friday evening
    assert availability.next_free(practice, clock.now(), service_id=therapy) == \
        local("2026-11-30T08:00")
