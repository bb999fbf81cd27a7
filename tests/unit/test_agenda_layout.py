"""Overlapping sessions are laid out side by side; separate ones take the full width."""

from __future__ import annotations

from app.models.enums import AppointmentStatus
from app.services.queries import AppointmentView
from app.ui.agenda.layout import place
from tests.conftest import local


def view(i: int, start: str, minutes: int = 50) -> AppointmentView:
    return AppointmentView(
        id=i, status=AppointmentStatus.SCHEDULED, start=local(start), duration_minutes=minutes,
        client_id=1, client_name="c", client_phone=None, client_email=None, service_id=None,
        service_name="s", staff_id=1, staff_name="p", staff_color="#000000", source="manual",
        quoted_price_cents=0, actual_price_cents=None, notes="", internal_notes="",
        cancellation_reason=None, charge_decision=None, cancellation_fee_cents=None,
        rescheduled_from=None, rescheduled_to=None, series_id=None)


def layout(*views: AppointmentView) -> dict[int, tuple[int, int]]:
    return {p.view.id: (p.column, p.columns) for p in place(list(views))}


def test_separate_sessions_use_the_whole_width() -> None:
    assert layout(view(1, "2026-11-23T10:00"), view(2, "2026-11-23T11:00")) == {
        1: (0, 1), 2: (0, 1)}


def test_overlaps_share_the_width_and_reuse_freed_columns() -> None:
    assert layout(view(1, "2026-11-23T10:00", 120), view(2, "2026-11-23T10:30"),
                  view(3, "2026-11-23T11:30"), view(4, "2026-11-23T13:00")) == {
        1: (0, 2), 2: (1, 2), 3: (1, 2), 4: (0, 1)}


def test_three_at_once() -> None:
    placed = layout(*(view(i, "2026-11-23T10:00") for i in range(3)))
    assert sorted(placed.values()) == [(0, 3), (1, 3), (2, 3)]
