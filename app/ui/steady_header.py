"""A table's column titles measured once, not after every new answer.

Qt's header forgets its size hint whenever its model is reset, and the table asks
for it while laying out the new rows: each title measured again through the style
sheet, ~5% of what a new Sessões answer costs to show, though the titles are the
same. This header keeps the size it measured until what it depends on changes:
the titles, the font, the style or the sorted column (its arrow takes room)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
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

    def sizeHint(self) -> QSize:
        model = self.model()
        titles = () if model is None else tuple(
            model.headerData(section, self.orientation()) for section in range(self.count()))
        on = (titles, self.font().key(), id(self.style()), self.sortIndicatorSection(),
              self.isSortIndicatorShown())
        if self._kept is None or self._kept[0] != on:
            self._kept = (on, super().sizeHint())
        return QSize(self._kept[1])
