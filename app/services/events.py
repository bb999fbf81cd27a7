"""A Qt-free change bus. Every service call that changes data publishes one
Change after its transaction commits; the window's bridge re-emits it on the GUI
thread and each view refreshes only what changed (DESIGN.md rule 3)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    appointments: frozenset[int] = field(default_factory=frozenset)
    clients: frozenset[int] = field(default_factory=frozenset)
    services: frozenset[int] = field(default_factory=frozenset)
    staff: frozenset[int] = field(default_factory=frozenset)
    conversations: frozenset[int] = field(default_factory=frozenset)
    settings: bool = False

    @staticmethod
    def of(*, appointments: Iterable[int] = (), clients: Iterable[int] = (),
           services: Iterable[int] = (), staff: Iterable[int] = (),
           conversations: Iterable[int] = (), settings: bool = False) -> Change:
        return Change(frozenset(appointments), frozenset(clients), frozenset(services),
                      frozenset(staff), frozenset(conversations), settings)

    def __bool__(self) -> bool:
        return bool(self.appointments or self.clients or self.services or self.staff
                    or self.conversations or self.settings)


Listener = Callable[[Change], None]


class ChangeBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, change: Change) -> None:
        if not change:
            return
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:  # a broken view must not undo a committed change
                log.exception("change listener failed")
