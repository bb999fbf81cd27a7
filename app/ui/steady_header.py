"""A table's column titles measured and painted once, not after every new answer.

Qt's header forgets its size hint whenever its model is reset, and the table asks
for it while laying out the new rows: each title measured again through the style
sheet, ~5% of what a new Sessões answer costs to show, though the titles are the
same. This header keeps the size it measured until what it depends on changes:
the titles, the font, the style or the sorted column (its arrow takes room).

A reset also repainted every title (~1 ms of the ~10 a search's answer takes to
show, for the same pixels). This header is painted again on a reset only when it
would look different: other titles or another number of them, or titles lit by a
selection the reset has just dropped."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QHeaderView, QWidget


class SteadyHeader(QHeaderView):
    """A horizontal header for a table whose model is reset often."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        # As QTableView makes its own: titles are clicked to sort, and light up
        # over the selected cells.
        self.setSectionsClickable(True)
        self.setHighlightSections(True)
        self._kept: tuple[Any, QSize] | None = None  # (what it was measured on, the size)
        self._shown: tuple[Any, ...] | None = None  # the titles painted, None: to paint
        self._lit = False  # painted with titles lit by the selection

    def _titles(self) -> tuple[Any, ...]:
        model = self.model()
        if model is None:
            return ()
        count = model.columnCount(self.rootIndex()) if self.orientation() == \
            Qt.Orientation.Horizontal else model.rowCount(self.rootIndex())
        return tuple(model.headerData(section, self.orientation()) for section in range(count))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        selection = self.selectionModel()
        if self.highlightSections() and selection is not None and selection.hasSelection():
            self._lit = True
        elif event.rect().contains(self.viewport().rect()):
            self._lit = False  # painted whole, unlit
        self._shown = self._titles() if self.count() else None

    def reset(self) -> None:
        """The model was reset: what Qt's header does (it forgets its state and is
        painted again), unless it would show what it shows. Its sections, their
        sizes and its sort arrow are the same either way; the table the header
        shares its selection with has dropped that already (without a signal the
        header would hear)."""
        if self._lit or self._shown is None or self._shown != self._titles():
            self._shown = None
            super().reset()

    def sizeHint(self) -> QSize:
        model = self.model()
        titles = () if model is None else tuple(
            model.headerData(section, self.orientation()) for section in range(self.count()))
        on = (titles, self.font().key(), id(self.style()), self.sortIndicatorSection(),
              self.isSortIndicatorShown())
        if self._kept is None or self._kept[0] != on:
            self._kept = (on, super().sizeHint())
        return QSize(self._kept[1])
