"""Run a function off the GUI thread and get its result back on it (DESIGN.md rule 1).
The function receives plain values, never widgets; the callbacks run on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the GUI thread, which decides what to show
            self._emit(self.relay.failed, exc)
        else:
            self._emit(self.relay.done, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window closed while this ran: nobody to tell
            log.debug("background result dropped: its receiver is gone")


class TaskRunner(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._live: set[_Relay] = set()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[Exception], None] | None = None) -> None:
        relay = _Relay()  # lives on the GUI thread: its signals are queued back here
        self._live.add(relay)

        @Slot(object)
        def finish(result: Any) -> None:
            self._live.discard(relay)
            self._deliver(on_done, result)

        @Slot(object)
        def fail(exc: Exception) -> None:
            self._live.discard(relay)
            if on_error is not None:
                self._deliver(on_error, exc)
            else:
                log.error("background task failed", exc_info=exc)

        relay.done.connect(finish)
        relay.failed.connect(fail)
        self.pool.start(_Job(fn, relay))

    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        """Hand a result to its receiver, unless the receiver was destroyed meanwhile
        (its window closed, or its page rebuilt for another language)."""
        owner = getattr(callback, "__self__", None)
        if not shiboken6.isValid(self) or (isinstance(owner, QObject) and
                                           not shiboken6.isValid(owner)):
            return
        try:
            callback(value)
        except RuntimeError as exc:
            if "already deleted" not in str(exc):
                raise
            log.debug("background result dropped: its widget is gone")

    def wait(self, msecs: int = 5000) -> bool:
        return bool(self.pool.waitForDone(msecs))
