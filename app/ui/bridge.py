"""Re-emits the services' change events on the GUI thread (DESIGN.md rule 3)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from app.services.events import Change, ChangeBus


class ChangeBridge(QObject):
    changed = Signal(object)  # Change

    def __init__(self, bus: ChangeBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inbound = _Inbound(self)
        self._inbound.arrived.connect(self.changed, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = bus.subscribe(self._inbound.arrived.emit)

    def close(self) -> None:
        self._unsubscribe()


class _Inbound(QObject):
    arrived = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)


__all__ = ["Change", "ChangeBridge"]
