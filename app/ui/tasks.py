"""Run a function off the GUI thread and get its result back on it (DESIGN.md rule 1).
The function receives plain values, never widgets; the callbacks run on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class Task:
    """A function given to TaskRunner.run: its outcome, once it has one, is handed
    to its callback exactly once — by the queued signal as a rule, or at once by
    settle() when the GUI thread chooses to wait for it."""

    def __init__(self, hand: Callable[[bool, Any], None]) -> None:
        """`hand(succeeded, result or exception)`: gives the outcome to its callback."""
        self._finished = threading.Event()
        self._outcome: tuple[bool, Any] | None = None  # (succeeded, result or exception)
        self._handed = False
        self._hand = hand

    def _set(self, succeeded: bool, value: Any) -> None:
        self._outcome = (succeeded, value)
        self._finished.set()

    def _take(self, succeeded: bool, value: Any) -> None:
        if self._handed:
            return  # settle() handed it already
        self._handed = True
        self._hand(succeeded, value)

    def settle(self, timeout: float) -> bool:
        """On the GUI thread: wait up to `timeout` seconds for the outcome and hand
        it to its callback now, rather than when the event loop next turns (the
        window's first paint then shows it). Whether it was handed (now or before)."""
        if self._handed:
            return True
        if not self._finished.wait(timeout) or self._outcome is None:
            return False
        self._take(*self._outcome)
        return True


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, task: Task) -> None:
        super().__init__()
        self.fn, self.relay, self.task = fn, relay, task

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the GUI thread, which decides what to show
            self.task._set(False, exc)
            self._emit(self.relay.failed, exc)
        else:
            self.task._set(True, result)
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
            on_error: Callable[[Exception], None] | None = None) -> Task:
        """Run `fn` on the pool; `on_done(result)` or `on_error(exception)` on the GUI
        thread. The Task returned may be settled (waited for) instead."""
        relay = _Relay()  # lives on the GUI thread: its signals are queued back here
        self._live.add(relay)

        def hand(succeeded: bool, value: Any) -> None:
            self._live.discard(relay)
            if succeeded:
                self._deliver(on_done, value)
            elif on_error is not None:
                self._deliver(on_error, value)
            else:
                log.error("background task failed", exc_info=value)

        task = Task(hand)

        @Slot(object)
        def finish(result: Any) -> None:
            task._take(True, result)

        @Slot(object)
        def fail(exc: Exception) -> None:
            task._take(False, exc)

        relay.done.connect(finish)
        relay.failed.connect(fail)
        self.pool.start(_Job(fn, relay, task))
        return task

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
