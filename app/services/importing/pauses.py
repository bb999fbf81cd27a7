"""The import's one concession to the interpreter: Python's cycle collector paused
while a file is read, checked and written.

An import of 10,000 sessions keeps tens of thousands of objects alive at once (the
rows, their verdicts, the values to insert). Each few hundred new objects start a
collection, and as they pile up the collector runs full collections that walk
every object in the process (SQLAlchemy's and the window's included): measured at
90-170 ms of an 850 ms import. None of the import's objects form cycles (they are
freed by reference counting as usual), so pausing the collector frees nothing
later than it would have been. The collector runs again as before when the
phase ends, however it ends; a pause inside another (the command line's import
calls the phases one by one) leaves the outer one to end it.
https://docs.python.org/3/library/gc.html#gc.disable
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Within the block (or the decorated function) the cycle collector does not
    run; it runs again after it if it ran before."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
