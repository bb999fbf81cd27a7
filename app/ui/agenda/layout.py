"""Where each session goes in a day column: overlapping sessions side by side,
each cluster of overlaps sharing the width equally (no Qt here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.services.queries import AppointmentView


@dataclass(frozen=True)
class Placed:
    view: AppointmentView
    column: int
    columns: int


def place(views: Sequence[AppointmentView]) -> list[Placed]:
    ordered = sorted(views, key=lambda v: (v.start, -v.duration_minutes, v.id))
    out: list[Placed] = []
    cluster: list[tuple[AppointmentView, int]] = []
    column_ends: list = []  # end of the last session in each column of the cluster
    cluster_end = None

    def flush() -> None:
        out.extend(Placed(v, col, len(column_ends)) for v, col in cluster)

    for v in ordered:
        if cluster_end is not None and v.start >= cluster_end:
            flush()
            cluster, column_ends, cluster_end = [], [], None
        for col, end in enumerate(column_ends):
            if end <= v.start:
                column_ends[col] = v.end
                break
        else:
            col = len(column_ends)
            column_ends.append(v.end)
        cluster.append((v, col))
        cluster_end = v.end if cluster_end is None else max(cluster_end, v.end)
    flush()
    return out
