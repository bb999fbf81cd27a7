"""The agenda's grid paints from a pixmap of what is under the sessions and from
blocks worked out when the sessions change: pixel for pixel it must paint what a
grid given the same state from scratch paints, after any change (hours, zoom,
size, free times, days, a pre-fetched week, a zone), and with nothing kept at all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetrics, QImage
from pytestqt.qtbot import QtBot

from app.models.enums import AppointmentStatus as S
from app.services.queries import AppointmentView
from app.ui.agenda import timegrid
from app.ui.agenda.timegrid import TimeGrid

ZONE = ZoneInfo("America/Sao_Paulo")
MONDAY = date(2026, 11, 16)
WEEK = [MONDAY + timedelta(days=i) for i in range(7)]
NEXT_WEEK = [d + timedelta(days=7) for d in WEEK]
NAMES = ["Maria Silva", "João Alves de Oliveira Pereira Santos", "Ana", "Íris Melo",
         "Carla Dias Rocha Pinto Souza Costa"]
STATUSES = [S.SCHEDULED, S.CONFIRMED, S.COMPLETED, S.NO_SHOW, S.CANCELLED, S.RESCHEDULED]
HOURS = {**{wd: [(time(8), time(12)), (time(13), time(20))] for wd in range(5)},
         5: [(time(9), time(13))]}


def view(i: int, start: datetime, minutes: int, status: S) -> AppointmentView:
    return AppointmentView(
        id=i, status=status, start=start, duration_minutes=minutes, client_id=i,
        client_name=NAMES[i % len(NAMES)], client_phone=None, client_email=None, service_id=1,
        service_name="Psicoterapia individual", staff_id=1 + i % 3, staff_name="P",
        staff_color=["#3b82f6", "#10b981", "#f59e0b"][i % 3], source="manual",
        quoted_price_cents=0, actual_price_cents=None, notes="", internal_notes="",
        cancellation_reason=None, charge_decision=None, cancellation_fee_cents=None,
        rescheduled_from=None, rescheduled_to=None, series_id=None)


def sessions(days: list[date]) -> list[AppointmentView]:
    """Every status, side-by-side overlaps, a cancelled session under a live one,
    sessions too short for their text and one long enough for three lines."""
    out: list[AppointmentView] = []
    for d, day in enumerate(days):
        for k, hour in enumerate((8, 9, 10, 13, 15, 17)):
            at = datetime.combine(day, time(hour), ZONE)
            out.append(view(len(out) + 1, at, 50, STATUSES[(d + k) % 6]))
        out.append(view(len(out) + 1, datetime.combine(day, time(9, 30), ZONE), 90,
                        S.CONFIRMED))
        out.append(view(len(out) + 1, datetime.combine(day, time(12), ZONE), 10, S.SCHEDULED))
        out.append(view(len(out) + 1, datetime.combine(day, time(12, 10), ZONE), 15,
                        S.CONFIRMED))
        out.append(view(len(out) + 1, datetime.combine(day, time(18), ZONE), 120, S.CONFIRMED))
    return out


def free(days: list[date]) -> dict[date, list[tuple[datetime, datetime]]]:
    return {days[1]: [(datetime.combine(days[1], time(12), ZONE),
                       datetime.combine(days[1], time(13), ZONE))]}


@pytest.fixture
def grids(qtbot: QtBot) -> Iterator[list[TimeGrid]]:
    made: list[TimeGrid] = []
    yield made
    for g in made:
        g.deleteLater()


def fresh(grids: list[TimeGrid], days: list[date], *, width: int = 1100, zoom: float = 56.0,
          with_free: bool = False, zone: ZoneInfo = ZONE) -> TimeGrid:
    """A grid given its whole state at once, before it ever painted."""
    g = TimeGrid(zone)
    grids.append(g)
    g.set_period(days)
    g.set_hours(HOURS)
    g.set_zoom(zoom)
    g.set_free(free(days) if with_free else {})
    g.set_sessions(sessions(days))
    g.resize(width, g.sizeHint().height())
    return g


def picture(g: TimeGrid) -> QImage:
    return g.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)


def colour_at(g: TimeGrid, x: float, y: float) -> str:
    """The colour painted at a point given in the widget's (logical) pixels."""
    image = picture(g)
    ratio = image.devicePixelRatio()
    return str(image.pixelColor(QPoint(int(x * ratio), int(y * ratio))).name())


def test_what_is_kept_paints_as_painting_everything_would(
        grids: list[TimeGrid], monkeypatch: pytest.MonkeyPatch) -> None:
    cached = picture(fresh(grids, WEEK, with_free=True))
    monkeypatch.setattr(timegrid, "CACHE_PIXELS", 0)  # too large to keep: painted directly
    direct = picture(fresh(grids, WEEK, with_free=True))
    assert cached == direct
    assert not cached.isNull() and cached.width() == round(1100 * cached.devicePixelRatio())


def anew(grids: list[TimeGrid], g: TimeGrid) -> TimeGrid:
    """A new grid given at once the state `g` reached step by step."""
    other = TimeGrid(g.zone)
    grids.append(other)
    other.set_period(list(g.days))
    other.set_hours(g.hours)
    other.set_zoom(g.hour_height)
    other.set_free(g.free)
    other.set_sessions(g.sessions(), g.times)
    other.resize(g.size())
    return other


def test_a_grid_changed_step_by_step_paints_as_a_new_one(grids: list[TimeGrid]) -> None:
    g = fresh(grids, WEEK)
    steps = [
        lambda: g.set_hours({0: [(time(10), time(16))]}),  # fewer hours: the grid starts later
        lambda: g.set_hours({wd: [(time(7), time(21))] for wd in range(7)}),  # Sunday opens
        lambda: g.set_hours(HOURS),
        lambda: g.set_zoom(90.0),
        lambda: g.resize(1300, g.sizeHint().height()),
        lambda: g.set_free(free(WEEK)),
        lambda: g.set_period(NEXT_WEEK),  # the free times were this week's
        lambda: g.set_free(free(NEXT_WEEK)),
        lambda: g.set_sessions(sessions(NEXT_WEEK)),
        lambda: g.set_period(NEXT_WEEK[:5]),  # the work week
        lambda: g.set_sessions(sessions(NEXT_WEEK[:5])),
        lambda: setattr(g, "zone", ZoneInfo("America/Manaus")),  # as the window sets it
        lambda: g.set_free({}),
        lambda: g.resize(800, 600),
    ]
    for i, step in enumerate(steps):
        picture(g)  # painted, so whatever is kept is kept from before the step
        step()
        assert picture(g) == picture(anew(grids, g)), f"step {i} left something stale"
    assert picture(g) != picture(fresh(grids, NEXT_WEEK[:5], width=800))


def test_a_week_made_ready_beforehand_paints_as_one_loaded_on_the_click(
        grids: list[TimeGrid]) -> None:
    g = fresh(grids, WEEK)
    picture(g)
    for paint in (False, True):  # blocks worked out; or the whole week painted too
        ready = g.prepare(NEXT_WEEK, sessions(NEXT_WEEK), paint=paint)
        g.set_period(NEXT_WEEK)
        g.set_sessions(sessions(NEXT_WEEK), prepared=ready)
        assert picture(g) == picture(fresh(grids, NEXT_WEEK))
        g.now = datetime.combine(NEXT_WEEK[1], time(11, 5), ZONE)  # drawn over it
        with_now = fresh(grids, NEXT_WEEK)
        with_now.now = g.now
        assert picture(g) == picture(with_now)
        g.now = None
        g.set_period(WEEK)
        g.set_sessions(sessions(WEEK))
    # Painted beforehand, then the hours changed before it was shown: not used.
    ready = g.prepare(NEXT_WEEK, sessions(NEXT_WEEK), paint=True)
    g.set_period(NEXT_WEEK)
    g.set_hours({wd: [(time(7), time(21))] for wd in range(7)})
    g.set_sessions(sessions(NEXT_WEEK), prepared=ready)
    assert picture(g) == picture(anew(grids, g))
    g.set_hours(HOURS)
    # Made ready for another width: worked out again for the one the grid has now.
    ready = g.prepare(WEEK, sessions(WEEK), paint=True)
    g.resize(900, g.height())
    g.set_period(WEEK)
    g.set_sessions(sessions(WEEK), prepared=ready)
    assert picture(g) == picture(fresh(grids, WEEK, width=900))
    # Made ready for other days: not used.
    g.set_period(NEXT_WEEK)
    g.set_sessions(sessions(NEXT_WEEK), prepared=ready)
    assert picture(g) == picture(fresh(grids, NEXT_WEEK, width=900))


def test_the_selection_the_dragged_session_and_now_are_drawn_over_what_is_kept(
        qtbot: QtBot, grids: list[TimeGrid]) -> None:
    g = fresh(grids, WEEK)
    g.show()
    qtbot.waitExposed(g)
    plain_week = picture(g)
    g.setFocus()
    qtbot.waitUntil(g.hasFocus)
    target = next(v for v in g.sessions() if v.start.minute == 0 and v.start.hour == 10)
    g.selected = target.id
    rect = g.block_rect(target.id)
    assert rect is not None
    assert colour_at(g, rect.center().x(), rect.top() - 1) == "#0f172a"
    g.selected = None
    g.now = datetime.combine(WEEK[2], time(14, 25), ZONE)
    assert colour_at(g, g.day_left(2) + g.day_width() / 2, g.y_of(g.now)) == "#ef4444"
    g.now = None
    assert picture(g) == plain_week
    # A session dragged away leaves its place; its ghost goes where the mouse is.
    moving = next(v for v in g.sessions() if v.status is S.SCHEDULED)
    start = g.block_rect(moving.id)
    assert start is not None
    qtbot.mousePress(g, Qt.MouseButton.LeftButton, pos=start.center().toPoint())
    qtbot.mouseMove(g, (start.center() + QPointF(0, 120)).toPoint())
    qtbot.mouseMove(g, (start.center() + QPointF(0, 125)).toPoint())
    dragging = picture(g)
    assert dragging != plain_week
    qtbot.mouseRelease(g, Qt.MouseButton.LeftButton,
                       pos=(start.center() + QPointF(0, 125)).toPoint())
    assert picture(g) == plain_week


def test_blocks_are_found_where_they_are_painted_after_a_resize(grids: list[TimeGrid]) -> None:
    g = fresh(grids, WEEK)
    picture(g)
    g.resize(700, g.height())
    live = [v for v in g.sessions() if v.status not in timegrid.FADED and
            v.duration_minutes >= 30]
    for v in live[:12]:
        rect = g.block_rect(v.id)
        assert rect is not None
        found = g.block_at(rect.center())
        assert found is not None and found.id == v.id


def test_a_blocks_name_takes_the_longest_form_its_width_holds(
        grids: list[TimeGrid]) -> None:
    """Whole, then first name and initial, then first name, then the first name
    elided: each at the widest a block can be and still hold only that form."""
    name = "Mariana Costa Albuquerque"
    g = TimeGrid(ZONE)
    grids.append(g)
    g.set_period(WEEK)  # narrow days: a grid is never narrower than its minimum
    g.set_hours(HOURS)
    at = datetime.combine(MONDAY, time(9), ZONE)
    g.set_sessions([replace(view(1, at, 50, S.SCHEDULED), client_name=name)])

    def title(inner: int) -> str:
        # A block's text is 20 px narrower than its day (gaps, stripe and margins).
        g.resize(timegrid.GUTTER + 7 * (inner + 20), g.sizeHint().height())
        ((_day, block),) = g.blocks()
        assert int(block.lines[0][1].width()) == inner
        return block.lines[0][2]

    metrics = QFontMetrics(timegrid._font(9, bold=True), g)
    for text in ("Mariana Costa Albuquerque", "Mariana A.", "Mariana"):
        room = metrics.horizontalAdvance(text)
        assert title(room) == text
    shortest = metrics.horizontalAdvance("Mariana")
    shown = title(shortest - 1)
    assert shown.endswith("…") and shown != "Mariana"
    assert title(metrics.horizontalAdvance("Mariana A.") - 1) == "Mariana"
