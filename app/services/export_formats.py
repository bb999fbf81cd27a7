"""The formats sessions are exported in (`practice export --format`, the window's
Exportar): a module of its own so the command line offers the choices without
importing the exporters, the calendar library and the scheduling rules."""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    ICS = "ics"
