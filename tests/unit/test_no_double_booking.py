"""Property: no sequence of bookings and reschedules made without override ever
leaves two overlapping sessions for one professional (buffers included)."""

from __future__ import annotations

import itertools
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.models.enums import OCCUPYING_STATUSES
from app.models.tables import Appointment
from app.services import catalog, clients, scheduling
from app.services import settings as practice_settings
from app.services.clock import FrozenClock
from app.services.errors import PracticeError
from app.services.practice import open_practice
from app.services.scheduling import BookingRequest
from tests.conftest import NOW, local

DAY0 = local("2026-11-23T08:00")

step = st.tuples(
    st.sampled_from(["book", "reschedule"]),
    st.integers(0, 3 * 44),           # quarter-hour slot across three days of 11 hours
    st.integers(0, 2),                # which client
    st.integers(0, 1),                # which professional
    st.integers(0, 2),                # which service
    st.integers(0, 20),               # which existing session to move
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=25))
def test_no_overlap_for_a_professional(steps: list[tuple[str, int, int, int, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        p = open_practice(Path(folder), clock=FrozenClock(NOW), actor="t", logging_on=False)
        try:
            practice_settings.set_value(p, "timezone", "America/Sao_Paulo")
            practice_settings.set_value(p, "hours", "mon-fri 08:00-19:00")
            staff = [catalog.list_staff(p)[0].id, catalog.add_staff(p, name="B").id]
            people = [clients.add(p, name=f"C{i}", phone=f"+55 11 9876{i}-432{i}").id
                      for i in range(3)]
            services = [
                catalog.add_service(p, name="a", duration_minutes=50).id,
                catalog.add_service(p, name="b", duration_minutes=30,
                                    buffer_after_minutes=15).id,
                catalog.add_service(p, name="c", duration_minutes=80,
                                    buffer_before_minutes=10).id,
            ]
            made: list[int] = []
            for kind, slot, who, pro, svc, pick in steps:
                day, quarter = divmod(slot, 44)
                start = DAY0 + timedelta(days=day, minutes=15 * quarter)
                try:
                    if kind == "book" or not made:
                        made.append(scheduling.book(p, BookingRequest(
                            client_id=people[who], start=start, service_id=services[svc],
                            staff_id=staff[pro])))
                    else:
                        target = made[pick % len(made)]
                        made.extend(scheduling.reschedule(p, target, start).values())
                except PracticeError:
                    pass
            with p.db.read() as s:
                rows = s.exec(select(Appointment).where(
                    col(Appointment.status).in_(OCCUPYING_STATUSES))).all()
            for a, b in itertools.combinations(rows, 2):
                if a.staff_id != b.staff_id:
                    continue
                a0 = a.start - timedelta(minutes=a.buffer_before_minutes)
                a1 = a.start + timedelta(minutes=a.duration_minutes + a.buffer_after_minutes)
                b0 = b.start - timedelta(minutes=b.buffer_before_minutes)
                b1 = b.start + timedelta(minutes=b.duration_minutes + b.buffer_after_minutes)
                assert not (a0 < b1 and b0 < a1), f"#{a.id} and #{b.id} overlap"
        finally:
            p.close()
