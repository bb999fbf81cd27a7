"""The domain: tables, enums and pure rules. No Qt, no I/O.

Each name below is imported from its module when first asked for (PEP 562), so
importing one module of the package (app.models.enums for a command's choices)
does not build every table: a command then configures only the mappers of the
tables it uses. `load_all()` registers every table on SQLModel.metadata, for what
compares or creates the whole schema (the migrations)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.models.change_log import ChangeLogEntry
    from app.models.conecta import (
        Attendance,
        AttendanceStatus,
        AttendanceTag,
        ConversationEntry,
        MessageTemplate,
    )
    from app.models.config_entry import ConfigEntry
    from app.models.enums import (
        ACTIVE_STATUSES,
        OCCUPYING_STATUSES,
        AppointmentSource,
        AppointmentStatus,
        Channel,
        ChargeDecision,
        RepeatFrequency,
        RequestKind,
        RequestState,
        SeriesScope,
    )
    from app.models.outbox import (
        DeliveryAttempt,
        MessageKind,
        MessageState,
        OutboxMessage,
    )
    from app.models.push import PushSubscription
    from app.models.relay_records import LinkNotice, RelayEvent
    from app.models.requests import ClientRequest
    from app.models.tables import (
        Appointment,
        AuditEvent,
        Client,
        PracticeSettings,
        Service,
        Staff,
        WorkingHours,
    )

_WHERE = {
    "ChangeLogEntry": "app.models.change_log",
    "Attendance": "app.models.conecta",
    "AttendanceStatus": "app.models.conecta",
    "AttendanceTag": "app.models.conecta",
    "ConversationEntry": "app.models.conecta",
    "MessageTemplate": "app.models.conecta",
    "ACTIVE_STATUSES": "app.models.enums",
    "OCCUPYING_STATUSES": "app.models.enums",
    "AppointmentSource": "app.models.enums",
    "AppointmentStatus": "app.models.enums",
    "Channel": "app.models.enums",
    "ChargeDecision": "app.models.enums",
    "RepeatFrequency": "app.models.enums",
    "SeriesScope": "app.models.enums",
    "ConfigEntry": "app.models.config_entry",
    "DeliveryAttempt": "app.models.outbox",
    "MessageKind": "app.models.outbox",
    "MessageState": "app.models.outbox",
    "OutboxMessage": "app.models.outbox",
    "PushSubscription": "app.models.push",
    "ClientRequest": "app.models.requests",
    "LinkNotice": "app.models.relay_records",
    "RelayEvent": "app.models.relay_records",
    "RequestKind": "app.models.enums",
    "RequestState": "app.models.enums",
    "Appointment": "app.models.tables",
    "AuditEvent": "app.models.tables",
    "Client": "app.models.tables",
    "PracticeSettings": "app.models.tables",
    "Service": "app.models.tables",
    "Staff": "app.models.tables",
    "WorkingHours": "app.models.tables",
}
# Every module that declares tables.
TABLE_MODULES = ("app.models.change_log", "app.models.conecta", "app.models.config_entry",
                 "app.models.outbox", "app.models.push", "app.models.relay_records",
                 "app.models.requests", "app.models.tables")


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # asked once: `models.Appointment` in a loop is a plain lookup
    return value


def load_all() -> None:
    """Every table registered on SQLModel.metadata."""
    for module in TABLE_MODULES:
        importlib.import_module(module)


__all__ = [
    "ACTIVE_STATUSES",
    "OCCUPYING_STATUSES",
    "Appointment",
    "AppointmentSource",
    "AppointmentStatus",
    "Attendance",
    "AttendanceStatus",
    "AttendanceTag",
    "AuditEvent",
    "ChangeLogEntry",
    "Channel",
    "ChargeDecision",
    "Client",
    "ClientRequest",
    "ConfigEntry",
    "ConversationEntry",
    "DeliveryAttempt",
    "LinkNotice",
    "MessageKind",
    "MessageState",
    "MessageTemplate",
    "OutboxMessage",
    "PracticeSettings",
    "PushSubscription",
    "RelayEvent",
    "RepeatFrequency",
    "RequestKind",
    "RequestState",
    "SeriesScope",
    "Service",
    "Staff",
    "WorkingHours",
]
