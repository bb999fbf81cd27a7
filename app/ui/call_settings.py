"""Configurações › Notificações, the reminder calls' part: the hours calls may
ring in, the pause before a call nobody answered is made again, and whether a
reminder nobody answered twice goes by the client's next channel."""

from __future__ import annotations

from datetime import time

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from app import i18n
from app.i18n import _
from app.services import config
from app.ui.wheel_guard import ComboBox, SpinBox


def _hours() -> QComboBox:
    """The half hours from the earliest a call may ring to the latest."""
    combo = ComboBox()
    low, high = (int(t[:2]) * 60 + int(t[3:]) for t in (config.CALLS_EARLIEST,
                                                         config.CALLS_LATEST))
    for minute in range(low, high + 1, 30):
        text = f"{minute // 60:02d}:{minute % 60:02d}"
        combo.addItem(_shown(text), text)
    return combo


def _shown(text: str) -> str:
    """"HH:MM", as the configuration keeps it, in the language's way ("8:00 AM")."""
    return i18n.format_time(time(int(text[:2]), int(text[3:5])))


def _choose(combo: QComboBox, text: str) -> None:
    """Selects `text`, added in its place when it is not a half hour (set elsewhere)."""
    if combo.findData(text) < 0:
        at = next((i for i in range(combo.count()) if combo.itemData(i) > text),
                  combo.count())
        combo.insertItem(at, _shown(text), text)
    combo.setCurrentIndex(combo.findData(text))


class CallSettings:
    """The rows it adds to a form, and the configuration they stand for."""

    def __init__(self, form: QFormLayout) -> None:
        self.start, self.end = _hours(), _hours()
        hours = QHBoxLayout()
        hours.addWidget(self.start)
        hours.addWidget(QLabel(_("to")))
        hours.addWidget(self.end)
        hours.addWidget(QLabel(_("(local time; never before {earliest} or after "
                                 "{latest})").format(earliest=_shown(config.CALLS_EARLIEST),
                                                     latest=_shown(config.CALLS_LATEST))), 1)
        form.addRow(_("Reminder calls ring from"), hours)
        self.retry = SpinBox()
        self.retry.setRange(5, 240)
        self.retry.setSingleStep(5)
        self.retry.setSuffix(" " + _("min"))
        retry = QHBoxLayout()
        retry.addWidget(self.retry)
        retry.addStretch(1)
        form.addRow(_("A call not answered is made again after"), retry)
        self.fallback = QCheckBox(_("When the second call is not answered either, send the "
                                    "reminder by the client's next channel (SMS, then e-mail)"))
        form.addRow("", self.fallback)
        self.widgets: tuple[QWidget, ...] = (self.start, self.end, self.retry, self.fallback)

    def load(self, cfg: dict[str, str]) -> None:
        _choose(self.start, cfg["voice.quiet_start"])
        _choose(self.end, cfg["voice.quiet_end"])
        self.retry.setValue(int(cfg["voice.retry_minutes"]))
        self.fallback.setChecked(cfg["voice.fallback"] == "on")

    def values(self) -> dict[str, str]:
        return {"voice.quiet_start": str(self.start.currentData()),
                "voice.quiet_end": str(self.end.currentData()),
                "voice.retry_minutes": str(self.retry.value()),
                "voice.fallback": "on" if self.fallback.isChecked() else "off"}
