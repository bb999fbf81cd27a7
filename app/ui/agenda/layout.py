"""Where each session goes in a day column: overlapping sessions side by side,
each cluster of overlaps sharing the width equally (no Qt here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.models.instants import utc
from app.services.queries import AppointmentView


@dataclass(frozen=True)
class Placed:
    view: AppointmentView
    column: int
    columns: int


def place(views: Sequence[AppointmentView]) -> list[Placed]:
    # Compared in UTC: two times of one zone compare by wall clock in Python, which
    # puts 01:20 after the clocks go back before 01:30 before they did.
    ordered = sorted(views, key=lambda v: (utc(v.start), -v.duration_minutes, v.id))
    out: list[Placed] = []
    cluster: list[tuple[AppointmentView, int]] = []
    column_ends: list = []  # end of the last session in each column of the cluster
    cluster_end = None

    def flush() -> None:
        out.extend(Placed(v, col, len(column_ends)) for v, col in cluster)

    for v in ordered:
        start, end = utc(v.start), utc(v.end)
        if cluster_end is not None and start >= cluster_end:
            flush()
            cluster, column_ends, cluster_end = [], [], None
        for col, column_end in enumerate(column_ends):
            if column_end <= start:
                column_ends[col] = end
                break
        else:
            col = len(column_ends)
            column_ends.append(end)
        cluster.append((v, col))
        cluster_end = end if cluster_end is None else max(cluster_end, end)
    flush()
    return out
