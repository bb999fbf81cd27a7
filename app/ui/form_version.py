"""The version a form's save names (app/services/versions.py), shared between the
GUI thread, which fills the form, and the worker threads its saves run on.

Saves of one form run one after the other, each naming the version the one
before it left: a person pressing Salvar twice in a row is never refused over
their own change. Filling the form (GUI thread) only takes a short lock, never
the one a save holds while it waits on the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class FormVersion:
    def __init__(self) -> None:
        self._value: int | None = None
        self._value_lock = threading.Lock()
        self._save_lock = threading.Lock()  # held by a worker thread, never the GUI's

    def filled(self, version: int | None) -> None:
        """The form now shows the row at `version` (None: a new row)."""
        with self._value_lock:
            self._value = version

    def read_again(self, version: int) -> None:
        """The same row read again and shown: its version, unless a save of this
        form already went further (a read from before it, arriving late)."""
        with self._value_lock:
            self._value = version if self._value is None else max(self._value, version)

    @property
    def value(self) -> int | None:
        with self._value_lock:
            return self._value

    def save(self, work: Callable[[int | None], T], version_of: Callable[[T], int]) -> T:
        """Off the GUI thread: `work(expected_version)`, then the version it left
        is the one the next save names. Raises what `work` raises."""
        with self._save_lock:
            result = work(self.value)
            self.filled(version_of(result))
            return result
