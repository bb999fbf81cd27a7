"""How long before a session a reminder goes, as people say it: "1 dia antes",
"2 horas antes", "30 minutos antes" — never "1440 min antes"."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from app.i18n import ngettext
from app.ui.wheel_guard import ComboBox, SpinBox

DAY, HOUR = 24 * 60, 60
LONGEST = 14 * DAY  # the service refuses more, and 5 minutes is the least


class LeadTime(QWidget):
    """A number and a unit (minutes, hours, days); value() in minutes."""

    def __init__(self, minutes: int = DAY) -> None:
        super().__init__()
        # As tall as a spin box: a form's row must not grow around it.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.number = SpinBox()
        self.unit = ComboBox()
        for size in (1, HOUR, DAY):
            self.unit.addItem("", size)
        row.addWidget(self.number)
        row.addWidget(self.unit)
        self.number.valueChanged.connect(self._relabel)
        self.unit.currentIndexChanged.connect(self._unit_changed)
        self.setValue(minutes)

    def value(self) -> int:
        """Minutes before the session."""
        return int(self.number.value()) * int(self.unit.currentData())

    def setValue(self, minutes: int) -> None:
        size = next(s for s in (DAY, HOUR, 1) if minutes % s == 0)
        self.unit.blockSignals(True)
        self.unit.setCurrentIndex(self.unit.findData(size))
        self.unit.blockSignals(False)
        self._limits()
        self.number.setValue(minutes // size)
        self._relabel()

    def _unit_changed(self) -> None:
        self._limits()
        self._relabel()

    def _limits(self) -> None:
        size = int(self.unit.currentData())
        self.number.setRange(5 if size == 1 else 1, LONGEST // size)

    def _relabel(self) -> None:
        n = int(self.number.value())
        for i, text in enumerate((ngettext("minute before", "minutes before", n),
                                  ngettext("hour before", "hours before", n),
                                  ngettext("day before", "days before", n))):
            self.unit.setItemText(i, text)
