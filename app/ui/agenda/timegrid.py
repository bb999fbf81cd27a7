"""The day and week views: sessions painted as blocks at their real time and length,
coloured by status, side by side when they overlap, over the working hours, the
free slots of a chosen service, and a line at the current time.

Click a block to open it, drag it to move it (the page checks the move like a new
booking), double-click an empty place to book there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QToolTip, QWidget

from app import i18n
from app.models.enums import AppointmentStatus as S
from app.models.hours import minute_of_day
from app.models.instants import elapsed
from app.models.recurrence import resolve_local
from app.services.queries import AppointmentView
from app.services.status_words import status_text
from app.ui.agenda.layout import Placed, place
from app.ui.plain import escape, name_forms
from app.ui.style import FREE_COLOUR, LINE, MUTED, status_colour, tint

GUTTER = 70
SNAP_MINUTES = 15
DRAG_THRESHOLD = 5
FADED = frozenset({S.CANCELLED, S.RESCHEDULED})

Intervals = Mapping[int, Sequence[tuple[time, time]]]  # weekday -> open intervals

# The grid under the sessions is painted once into a pixmap and copied on every
# frame; past this many device pixels (a very tall zoom on a HiDPI screen) it is
# painted directly instead, as it always was.
CACHE_PIXELS = 16_000_000
LINE_HEIGHT = 14  # a block's line of text, in pixels
LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT_TOP = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
WHITE = QColor("white")
CLOSED = QColor("#f1f5f9")
SELECTED_PEN = QPen(QColor("#0f172a"), 2)
CHECK_PEN = QPen(QColor("#059669"), 2)
CHECK_PEN.setCapStyle(Qt.PenCapStyle.RoundCap)
NOW_COLOUR = QColor("#ef4444")
NOW_PEN = QPen(NOW_COLOUR, 2)


@dataclass(frozen=True, slots=True)
class Block:
    """A session as it is painted, worked out once when the sessions, the size or
    the zoom change (never while painting): its rectangle in widget pixels, its
    colours, the confirmed mark's centre, and each line of text already elided
    to the width (font, rectangle, text)."""

    view: AppointmentView
    rect: QRectF
    fill: QColor
    stripe: QRectF
    staff: QColor
    ink: QColor
    mark: QPointF | None
    lines: tuple[tuple[QFont, QRectF, str], ...]


@dataclass(frozen=True)
class Prepared:
    """One period's sessions made ready to paint (TimeGrid.prepare): placed per
    day, their blocks (None until the grid has a width) and the geometry the
    blocks were worked out for."""

    days: tuple[date, ...]
    times: dict[int, tuple[str, str]]
    placed: dict[date, list[Placed]]
    ids: frozenset[int]
    blocks: list[tuple[int, Block]] | None
    key: tuple[Any, ...]
    frame: QPixmap | None = None  # the grid with the blocks on it, painted beforehand
    frame_under: tuple[Any, ...] = ()  # the grid's key (_static_key) the frame was painted on


@dataclass
class _Drag:
    view: AppointmentView
    press: QPoint
    grab_offset_minutes: float
    moving: bool = False
    target: datetime | None = None


class TimeGrid(QWidget):
    opened = Signal(int)  # appointment id
    create_requested = Signal(object)  # aware datetime
    move_requested = Signal(int, object)  # appointment id, new aware start
    first_painted = Signal()  # once, when the grid is first on screen

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.days: list[date] = []
        self.first_hour, self.last_hour = 7, 21
        self.hour_height = 56.0
        self.hours: Intervals = {}
        self.free: dict[date, list[tuple[datetime, datetime]]] = {}
        self.now: datetime | None = None
        self._placed: dict[date, list[Placed]] = {}
        self._drag: _Drag | None = None
        # Painting runs for every frame; text is formatted once per load instead.
        self.times: dict[int, tuple[str, str]] = {}
        self._elided: dict[tuple[tuple[str, ...], int, int], str] = {}
        self._metrics: dict[int, QFontMetrics] = {}  # by id() of the shared fonts (_font)
        self._dpi = 0  # the resolution they were measured at
        self._blocks: list[tuple[int, Block]] | None = None  # (day index, block), in order
        self._blocks_key: tuple[Any, ...] = ()
        self._blocks_version = 0  # bumped whenever the blocks are replaced
        # A pre-fetched period painted whole beforehand (prepare), used while it is
        # the one shown and nothing it was painted from changed.
        self._frame: QPixmap | None = None
        self._frame_key: tuple[Any, ...] = ()
        self._static: QPixmap | None = None  # the grid under the sessions
        self._static_key: tuple[Any, ...] = ()
        self._static_version = 0  # bumped by whatever changes the grid under the sessions
        self.selected: int | None = None  # moved with the arrow keys, opened with Enter
        self.setMouseTracking(True)
        self._tip_for: int | None = None  # the session the tooltip is about
        self._painted_once = False
        self.setMinimumWidth(GUTTER + 200)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("agenda")

    # ------------------------------------------------------------ data

    def set_period(self, days: list[date]) -> None:
        if days == self.days:
            return  # a refresh of the same days keeps what is drawn until new data comes
        if [d.weekday() for d in days] != [d.weekday() for d in self.days] or self.free:
            self._static_version += 1  # the working hours are per weekday
        self.days = days
        self._placed = {d: [] for d in days}
        self._blocks = None
        self.update()

    def set_sessions(self, views: Sequence[AppointmentView],
                     times: dict[int, tuple[str, str]] | None = None,
                     prepared: Prepared | None = None) -> None:
        """`times` holds each session's formatted start and end, made off the GUI
        thread by the loader; any missing are formatted here. `prepared` is what
        prepare() made of the same sessions beforehand (for a period pre-fetched
        while the person looked at another): used when it is for the days shown."""
        if prepared is None or prepared.days != tuple(self.days):
            prepared = self.prepare(self.days, views, times)
        self.times = prepared.times
        self._tip_for = None  # its session may have changed: said again on the next move
        self.setToolTip("")
        self._placed = prepared.placed
        self._blocks, self._blocks_key = prepared.blocks, prepared.key
        self._blocks_version += 1
        self._frame = prepared.frame
        self._frame_key = (prepared.frame_under, prepared.key, self._blocks_version)
        if self.selected not in prepared.ids:
            self.selected = None
        self.update()

    def prepare(self, days: Sequence[date], views: Sequence[AppointmentView],
                times: dict[int, tuple[str, str]] | None = None,
                free: dict[date, list[tuple[datetime, datetime]]] | None = None,
                *, paint: bool = False) -> Prepared:
        """The sessions of `days` laid out side by side where they overlap, with
        their blocks worked out for the grid's present size, zoom, hours and zone
        (set_sessions works them out again if any of those differ by then). With
        `paint`, and when the grid under them would be the one shown now (the
        same weekdays, no free times shaded), the whole period is also painted,
        so showing it is a copy of that picture."""
        times = dict(times or {})
        for v in views:
            if v.id not in times:
                times[v.id] = (i18n.format_time(v.start), i18n.format_time(v.end))
        self._check_text_caches()
        by_day: dict[date, list[AppointmentView]] = {d: [] for d in days}
        for v in views:
            day = v.start.astimezone(self.zone).date()
            if day in by_day:
                by_day[day].append(v)
        # Faded (cancelled, moved) sessions are laid out apart so they never
        # squeeze the sessions that really take the time.
        placed: dict[date, list[Placed]] = {}
        for day, items in by_day.items():
            live = [v for v in items if v.status not in FADED]
            gone = [v for v in items if v.status in FADED]
            placed[day] = place(gone) + place(live)
        blocks = None
        if days and self.width() > GUTTER:
            width = (self.width() - GUTTER) / len(days)
            blocks = [(i, self._block(self._rect(i, p, width), p.view, times=times))
                      for i, day in enumerate(days) for p in placed[day]]
        frame, under = None, ()
        if paint and blocks is not None and not free and not self.free and \
                [d.weekday() for d in days] == [d.weekday() for d in self.days]:
            static = self._static_layer()
            if static is not None:
                frame, under = static.copy(), self._static_key
                painter = QPainter(frame)
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                for _index, block in blocks:
                    self._paint_block(painter, block)
                painter.end()
        return Prepared(days=tuple(days), times=times, placed=placed,
                        ids=frozenset(v.id for v in views), blocks=blocks,
                        key=self._geometry(len(days)), frame=frame, frame_under=under)

    def set_hours(self, hours: Intervals) -> None:
        self.hours = hours
        opens = [lo.hour for ivs in hours.values() for lo, _ in ivs]
        closes = [-(-minute_of_day(hi, end=True) // 60) for ivs in hours.values() for _, hi in ivs]
        self.first_hour = max(0, min(opens, default=8) - 1)
        self.last_hour = min(24, max(closes, default=19) + 1)
        self._static_version += 1
        self._blocks = None
        self.updateGeometry()
        self.update()

    def set_free(self, free: dict[date, list[tuple[datetime, datetime]]]) -> None:
        if free == self.free:
            return
        self.free = free
        self._static_version += 1
        self.update()

    def set_zoom(self, hour_height: float) -> None:
        self.hour_height = max(28.0, min(160.0, hour_height))
        self._static_version += 1
        self._blocks = None
        self.updateGeometry()
        self.adjustSize()
        self.update()

    def sessions(self) -> list[AppointmentView]:
        return [p.view for placed in self._placed.values() for p in placed]

    # ------------------------------------------------------------ geometry

    def sizeHint(self) -> QSize:
        return QSize(900, int((self.last_hour - self.first_hour) * self.hour_height) + 1)

    def minimumSizeHint(self) -> QSize:
        return QSize(GUTTER + 200, self.sizeHint().height())

    def day_width(self) -> float:
        return (self.width() - GUTTER) / max(1, len(self.days))

    def day_left(self, index: int) -> float:
        return GUTTER + index * self.day_width()

    def y_of(self, instant: datetime) -> float:
        local = instant.astimezone(self.zone)
        hours = local.hour + local.minute / 60 - self.first_hour
        return hours * self.hour_height

    def y_of_time(self, t: time, *, end: bool = False) -> float:
        """Height of a time of day; as an interval's `end`, 00:00 is the day's bottom."""
        return (minute_of_day(t, end=end) / 60 - self.first_hour) * self.hour_height

    def block_rect(self, appointment_id: int) -> QRectF | None:
        for i, day in enumerate(self.days):
            for p in self._placed.get(day, []):
                if p.view.id == appointment_id:
                    return self._rect(i, p)
        return None

    def _rect(self, index: int, p: Placed, day_width: float | None = None) -> QRectF:
        """A block's rectangle; `day_width` as day_width() gives it, if known."""
        if day_width is None:
            day_width = self.day_width()
        width = (day_width - 6) / p.columns
        x = GUTTER + index * day_width + 2 + p.column * width
        top = self.y_of(p.view.start)
        height = max(18.0, p.view.duration_minutes / 60 * self.hour_height - 2)
        return QRectF(x, top + 1, width - 2, height)

    def at(self, pos: QPointF | QPoint, snap: int = SNAP_MINUTES,
           cell: bool = False) -> datetime | None:
        """The local instant under a point, snapped to the grid: to the nearest step
        (a dragged session lands where it looks), or, with `cell`, to the start of the
        step the point is in (a click books the time that was clicked)."""
        if pos.x() < GUTTER or not self.days:
            return None
        index = int((pos.x() - GUTTER) // self.day_width())
        if not 0 <= index < len(self.days):
            return None
        minutes = (pos.y() / self.hour_height + self.first_hour) * 60
        steps = minutes // snap if cell else round(minutes / snap)
        minutes = max(0, min(24 * 60 - snap, steps * snap))
        naive = datetime.combine(self.days[index], time()) + timedelta(minutes=minutes)
        return resolve_local(naive, self.zone)

    def block_at(self, pos: QPointF | QPoint) -> AppointmentView | None:
        # Live sessions are painted last, so they are found first.
        point = QPointF(pos)
        for _index, block in reversed(self.blocks()):
            if block.rect.contains(point):
                return block.view
        return None

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        self._paint(event)
        if not self._painted_once:
            self._painted_once = True
            self.first_painted.emit()

    def _paint(self, event: QPaintEvent) -> None:
        """A frame is the grid's pixmap, then each session's block as worked out
        when the sessions last changed, the dragged session and the line at now."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        static = self._static_layer()
        blocks = self.blocks()
        drag = self._drag
        dragged = drag.view.id if drag is not None and drag.moving else None
        selected = self.selected if self.hasFocus() else None
        frame = self._frame
        if frame is not None and self._frame_key != (self._static_key, self._blocks_key,
                                                     self._blocks_version):
            frame = self._frame = None  # painted from what has changed since
        if frame is not None and dragged is None and selected is None:
            painter.drawPixmap(0, 0, frame)
            self._paint_now(painter)
            painter.end()
            return
        if static is None:
            self._paint_static(painter)
        else:
            painter.drawPixmap(0, 0, static)
        exposed = QRectF(event.rect()).adjusted(-2, -2, 2, 2)  # the selection's outline
        for _index, block in blocks:
            appointment = block.view.id
            if appointment == dragged or not exposed.intersects(block.rect):
                continue  # moving with the mouse, or scrolled out of sight
            self._paint_block(painter, block)
            if appointment == selected:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(SELECTED_PEN)
                painter.drawRoundedRect(block.rect.adjusted(-1, -1, 1, 1), 6, 6)
        self._paint_drag(painter)
        self._paint_now(painter)
        painter.end()

    def _static_layer(self) -> QPixmap | None:
        """The grid under the sessions (closed hours, free times, lines and hour
        labels) in a pixmap at the screen's pixel ratio, painted again only when
        the size, the ratio, the zone, the language, the days' weekdays, the
        hours, the zoom or the free times change; None when it would be too large
        to keep (it is then painted directly)."""
        ratio = self.devicePixelRatioF()
        width, height = self.width(), self.height()
        key = (width, height, ratio, self.zone, i18n.current_language(), self._static_version)
        if key == self._static_key:
            return self._static
        self._static_key = key
        self._static = None
        if width <= 0 or height <= 0 or width * height * ratio * ratio > CACHE_PIXELS:
            return None
        pixmap = QPixmap(round(width * ratio), round(height * ratio))
        pixmap.setDevicePixelRatio(ratio)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_static(painter)
        painter.end()
        self._static = pixmap
        return pixmap

    def _paint_static(self, painter: QPainter) -> None:
        painter.fillRect(self.rect(), WHITE)
        self._paint_closed_and_free(painter)
        self._paint_lines(painter)

    def _paint_closed_and_free(self, painter: QPainter) -> None:
        # Yellow, a colour no status uses: green is Confirmado.
        free = QColor(FREE_COLOUR)
        free.setAlpha(60)
        for i, day in enumerate(self.days):
            x, w = self.day_left(i), self.day_width()
            painter.fillRect(QRectF(x, 0, w, self.height()), CLOSED)
            for lo, hi in self.hours.get(day.weekday(), []):
                top, bottom = self.y_of_time(lo), self.y_of_time(hi, end=True)
                painter.fillRect(QRectF(x, top, w, bottom - top), WHITE)
            for start, end in self.free.get(day, []):
                # Real length from the start: an end at midnight is the day's bottom.
                top = self.y_of(start)
                height = elapsed(start, end) / timedelta(hours=1) * self.hour_height
                painter.fillRect(QRectF(x + 1, top, w - 2, height), free)

    def _paint_lines(self, painter: QPainter) -> None:
        hour_pen = QPen(QColor(LINE))
        half_pen = QPen(QColor("#f1f5f9"), 1, Qt.PenStyle.DashLine)
        painter.setFont(_font(9))
        for h in range(self.first_hour, self.last_hour + 1):
            y = (h - self.first_hour) * self.hour_height
            painter.setPen(hour_pen)
            painter.drawLine(QPointF(GUTTER, y), QPointF(self.width(), y))
            painter.setPen(half_pen)
            painter.drawLine(QPointF(GUTTER, y + self.hour_height / 2),
                             QPointF(self.width(), y + self.hour_height / 2))
            if h < self.last_hour:
                painter.setPen(QColor(MUTED))
                label = i18n.format_time(time(h % 24))
                painter.drawText(QRectF(0, y + 2, GUTTER - 8, 16), RIGHT_TOP, label)
        painter.setPen(QPen(QColor(LINE)))
        for i in range(len(self.days) + 1):
            x = self.day_left(i)
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    def blocks(self) -> list[tuple[int, Block]]:
        """Every session's block with its day's index, in painting order (per day
        the cancelled and moved first, so the live ones are on top). Worked out
        again only after the sessions, the days, the width, the zoom, the hours
        or the zone changed."""
        key = self._geometry(len(self.days))
        if self._blocks is None or key != self._blocks_key:
            self._check_text_caches()
            width = self.day_width()
            self._blocks = [(i, self._block(self._rect(i, p, width), p.view))
                            for i, day in enumerate(self.days)
                            for p in self._placed.get(day, [])]
            self._blocks_key = key
            self._blocks_version += 1
        return self._blocks

    def _check_text_caches(self) -> None:
        """Widths measured at another resolution (the window moved to another
        screen) are measured again; and the elided texts are kept to a bound."""
        dpi = self.logicalDpiY()
        if dpi != self._dpi or len(self._elided) > 20_000:
            self._elided.clear()
            self._metrics.clear()
            self._dpi = dpi

    def _geometry(self, days: int) -> tuple[Any, ...]:
        """What a block's rectangle and elided text depend on, besides the session
        (the resolution too: on another screen the text is measured again)."""
        return (self.width(), days, self.hour_height, self.first_hour, self.zone,
                self.logicalDpiY())

    def _block(self, rect: QRectF, v: AppointmentView, ghost: bool = False,
               times: dict[int, tuple[str, str]] | None = None) -> Block:
        faded = v.status in FADED
        colour, fill = _paints(v.status, 28 if faded else (120 if ghost else 255))
        inner = rect.adjusted(8, 3, -4, -2)
        mark = None
        if v.status is S.CONFIRMED and rect.width() > 30:
            mark = QPointF(rect.right() - 10, rect.top() + 10)
            inner.setRight(inner.right() - 16)
        title = _font(9, bold=True, strike=v.status is S.CANCELLED)
        start, end = (self.times if times is None else times).get(v.id) or (
            i18n.format_time(v.start), i18n.format_time(v.end))
        # Each line in the longest form that fits, then shorter ones, eliding only
        # the last: "Samuel Pires" → "Samuel P." → "Samuel"; "09:00 – 09:50" → "09:00".
        forms: list[tuple[QFont, tuple[str, ...]]] = [(title, name_forms(v.client_name))]
        if rect.height() >= 2 * LINE_HEIGHT + 4:
            forms.append((_font(8), (f"{start} – {end}", f"{start}–{end}", start)))
        if rect.height() >= 3 * LINE_HEIGHT + 4:
            forms.append((_font(8), (v.service_name,)))
        lines = []
        y, width = inner.top(), int(inner.width())
        for font, texts in forms:
            lines.append((font, QRectF(inner.left(), y, inner.width(), LINE_HEIGHT),
                          self._elide(font, texts, width)))
            y += LINE_HEIGHT
        return Block(view=v, rect=rect, fill=fill,
                     stripe=QRectF(rect.left(), rect.top() + 2, 4, rect.height() - 4),
                     staff=_colour(v.staff_color), ink=colour if faded else WHITE, mark=mark,
                     lines=tuple(lines))

    def _elide(self, font: QFont, forms: tuple[str, ...], width: int) -> str:
        """The first of `forms` that fits `width` pixels, else the last elided.
        The forms run from longest to shortest, so the shortest is measured first:
        when it does not fit (narrow blocks, several professionals side by side),
        none does and the longer ones are not measured."""
        key = (forms, width, id(font))
        shown = self._elided.get(key)
        if shown is None:
            metrics = self._metrics.get(id(font))
            if metrics is None:
                metrics = self._metrics[id(font)] = QFontMetrics(font, self)
            if metrics.horizontalAdvance(forms[-1]) > width:
                shown = metrics.elidedText(forms[-1], Qt.TextElideMode.ElideRight, width)
            else:
                shown = next((f for f in forms[:-1] if metrics.horizontalAdvance(f) <= width),
                             forms[-1])
            self._elided[key] = shown
        return shown

    @staticmethod
    def _paint_block(painter: QPainter, block: Block) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(block.fill)
        painter.drawRoundedRect(block.rect, 5, 5)
        painter.fillRect(block.stripe, block.staff)
        if block.mark is not None:
            centre = block.mark
            painter.setBrush(WHITE)
            painter.drawEllipse(centre, 7, 7)
            painter.setPen(CHECK_PEN)
            painter.drawPolyline([centre + QPointF(-3.5, 0), centre + QPointF(-1, 2.5),
                                  centre + QPointF(3.5, -2.5)])
        painter.setPen(block.ink)
        for font, rect, text in block.lines:
            painter.setFont(font)
            painter.drawText(rect, LEFT_MIDDLE, text)

    def resizeEvent(self, event: Any) -> None:
        self._elided.clear()
        super().resizeEvent(event)

    def _paint_drag(self, painter: QPainter) -> None:
        d = self._drag
        if d is None or not d.moving or d.target is None:
            return
        day = d.target.astimezone(self.zone).date()
        if day not in self.days:
            return
        index = self.days.index(day)
        ghost = Placed(d.view, 0, 1)
        moved = AppointmentView(**{**d.view.__dict__, "start": d.target})
        rect = self._rect(index, ghost)
        rect.moveTop(self.y_of(moved.start) + 1)
        self._paint_block(painter, self._block(rect, moved, ghost=True))
        painter.setPen(QColor("#1e40af"))
        painter.setFont(_font(9, bold=True))
        painter.drawText(QRectF(rect.left(), rect.top() - 16, rect.width(), 14),
                         Qt.AlignmentFlag.AlignLeft, i18n.format_time(moved.start))

    def _paint_now(self, painter: QPainter) -> None:
        if self.now is None:
            return
        local = self.now.astimezone(self.zone)
        if local.date() not in self.days:
            return
        i = self.days.index(local.date())
        y = self.y_of(self.now)
        painter.setPen(NOW_PEN)
        painter.drawLine(QPointF(self.day_left(i), y), QPointF(self.day_left(i + 1), y))
        painter.setBrush(NOW_COLOUR)
        painter.drawEllipse(QPointF(self.day_left(i), y), 4, 4)

    # ------------------------------------------------------------ mouse

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        view = self.block_at(event.position())
        if view is None:
            self._drag = None
            return
        offset = (event.position().y() - self.y_of(view.start)) / self.hour_height * 60
        self._drag = _Drag(view, event.position().toPoint(), offset)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        d = self._drag
        if d is None:
            view = self.block_at(event.position())
            self.setCursor(Qt.CursorShape.PointingHandCursor if view
                           else Qt.CursorShape.ArrowCursor)
            # The session under the pointer is the widget's tooltip, which Qt shows
            # after the usual pause (and hides over empty hours). Said here rather
            # than in event(), through which every event of the grid would pass.
            shown = view.id if view is not None else None
            if shown != self._tip_for:
                self._tip_for = shown
                self.setToolTip(_tooltip(view) if view is not None else "")
                if view is None:
                    QToolTip.hideText()  # the one shown was about the block just left
            return
        if not d.moving:
            if (event.position().toPoint() - d.press).manhattanLength() < DRAG_THRESHOLD:
                return
            if d.view.status not in (S.SCHEDULED, S.CONFIRMED):
                return  # only a session still to happen can be moved
            d.moving = True
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        top = QPointF(event.position().x(),
                      event.position().y() - d.grab_offset_minutes / 60 * self.hour_height)
        d.target = self.at(top)
        if d.target is not None:
            QToolTip.showText(event.globalPosition().toPoint(),
                              i18n.format_datetime(d.target), self)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        d, self._drag = self._drag, None
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.update()
        if d is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if d.moving:
            if d.target is not None and d.target != d.view.start:
                self.move_requested.emit(d.view.id, d.target)
        else:
            self.selected = d.view.id
            self.opened.emit(d.view.id)

    def ordered(self) -> list[AppointmentView]:
        """Sessions in reading order: by day, then time, then column."""
        out: list[tuple[date, datetime, int, AppointmentView]] = []
        for day in self.days:
            out.extend((day, p.view.start, p.column, p.view) for p in self._placed.get(day, []))
        return [item[3] for item in sorted(out, key=lambda t: (t[0], t[1], t[2]))]

    def keyPressEvent(self, event: Any) -> None:
        key = event.key()
        order = self.ordered()
        forward = (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Tab)
        backward = (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backtab)
        if key in forward + backward and order:
            ids = [v.id for v in order]
            if self.selected in ids:
                step = 1 if key in forward else -1
                index = (ids.index(self.selected) + step) % len(ids)
            else:
                index = 0 if key in forward else len(ids) - 1
            self.selected = ids[index]
            self.update()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and \
                self.selected is not None:
            self.opened.emit(self.selected)
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next_: bool) -> bool:
        return False  # Tab moves between sessions while the agenda has the focus

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.block_at(event.position()) is not None:
            return
        start = self.at(event.position(), snap=30, cell=True)
        if start is not None:
            self.create_requested.emit(start)



def _tooltip(v: AppointmentView) -> str:
    """Rich text (a tooltip guesses the format): the names, which may come from a
    client or a spreadsheet, are escaped."""
    return (f"<b>{escape(v.client_name)}</b><br>{escape(v.service_name)}<br>"
            f"{i18n.format_datetime(v.start)} – {i18n.format_time(v.end)}<br>"
            f"{escape(v.staff_name)} · {status_text(v.status, v.cancel_requested)}")


_FONTS: dict[tuple[int, bool, bool], QFont] = {}
_COLOURS: dict[str, QColor] = {}
_PAINTS: dict[tuple[S, int], tuple[QColor, QColor]] = {}


def _colour(name: str) -> QColor:
    """A colour by name (a professional's), parsed once: a week's blocks share a
    few. Shared, so never changed."""
    colour = _COLOURS.get(name)
    if colour is None:
        colour = _COLOURS[name] = QColor(name)
    return colour


def _paints(status: S, alpha: int) -> tuple[QColor, QColor]:
    """A status's colour and its fill at `alpha`, made once. Shared, so never
    changed."""
    key = (status, alpha)
    paints = _PAINTS.get(key)
    if paints is None:
        colour = status_colour(status)
        paints = _PAINTS[key] = (colour, tint(colour, alpha))
    return paints


def _font(points: int, bold: bool = False, strike: bool = False) -> QFont:
    """Fonts are made once and shared by every paint."""
    key = (points, bold, strike)
    font = _FONTS.get(key)
    if font is None:
        font = QFont()
        font.setPointSize(points)
        font.setBold(bold)
        font.setStrikeOut(strike)
        _FONTS[key] = font
    return font


class DayHeader(QWidget):
    """The names and dates of the shown days, aligned with the grid's columns."""

    day_clicked = Signal(object)  # date

    def __init__(self, grid: TimeGrid, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        self.today: date | None = None
        self.setFixedHeight(46)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        painter.setPen(QColor(LINE))
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        offset = self.width() - self.grid.width()  # the scroll bar beside the grid
        for i, day in enumerate(self.grid.days):
            x = self.grid.day_left(i)
            w = self.grid.day_width() + (offset if i == len(self.grid.days) - 1 else 0)
            is_today = day == self.today
            painter.setPen(QColor("#1d4ed8" if is_today else MUTED))
            painter.setFont(_font(8, bold=True))
            painter.drawText(QRectF(x, 4, w, 16), Qt.AlignmentFlag.AlignCenter,
                             i18n.weekday_name(day.weekday()).upper())
            painter.setFont(_font(12, bold=is_today))
            painter.setPen(QColor("#1d4ed8" if is_today else "#0f172a"))
            painter.drawText(QRectF(x, 20, w, 22), Qt.AlignmentFlag.AlignCenter,
                             str(day.day))
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        for i, day in enumerate(self.grid.days):
            if self.grid.day_left(i) <= event.position().x() < self.grid.day_left(i + 1):
                self.day_clicked.emit(day)

