"""How every benchmark measures: ours and its floor alternately in one run.

Machines are shared and noisy, so a figure is only meaningful beside a floor taken
in the same minutes. `alternate` runs ours, then the floor, then ours again, …,
and reports medians with their ranges; `smoke` is set by `--smoke`, under which a
benchmark runs at tiny sizes with a few repeats, asserting nothing about time
(`make test` runs every benchmark that way so none can rot unseen).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """Seconds measured for one thing: every sample, in the order taken."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def ms(self) -> str:
        """'12.3 ms (10.1–15.0)': the median and the range, in milliseconds."""
        return (f"{self.median * 1000:.1f} ms "
                f"({self.low * 1000:.1f}–{self.high * 1000:.1f})")


def timed(work: Callable[[], object]) -> float:
    """Seconds `work()` took (perf_counter)."""
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def alternate(ours: Callable[[], float], floor: Callable[[], float],
              repeats: int) -> tuple[Figure, Figure]:
    """Calls ours() and floor() alternately `repeats` times each; each returns the
    seconds its one run took (so set-up can stay outside the measurement)."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        a.append(ours())
        b.append(floor())
    return Figure(a), Figure(b)


def ratio(ours: Figure, floor: Figure) -> str:
    """'2.1× (1.8–2.4)': median of ours over median of floor, with the range of
    the per-pair ratios."""
    pairs = [x / y for x, y in zip(ours.samples, floor.samples, strict=False) if y > 0]
    if not pairs or floor.median <= 0:
        return "n/a"
    return f"{ours.median / floor.median:.2f}× ({min(pairs):.2f}–{max(pairs):.2f})"


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with `--smoke` already on it."""
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true",
                   help="tiny sizes and a few repeats, to prove the benchmark still runs")
    return p


def alternate_calls(ours: Callable[[int], object], floor: Callable[[int], object],
                    repeats: int) -> tuple[Figure, Figure]:
    """Like alternate, for functions of the repeat's index i (0…repeats-1) whose
    whole call is what is measured."""
    a: list[float] = []
    b: list[float] = []
    for i in range(repeats):
        a.append(timed(lambda: ours(i)))  # noqa: B023 — called at once
        b.append(timed(lambda: floor(i)))  # noqa: B023
    return Figure(a), Figure(b)
