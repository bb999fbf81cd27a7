"""The domain: tables, enums and pure rules. No Qt, no I/O."""

from app.models.change_log import ChangeLogEntry
from app.models.conecta import (
    Attendance,
    AttendanceStatus,
    AttendanceTag,
    ConversationEntry,
    MessageTemplate,
)
from app.models.enums import (
    ACTIVE_STATUSES,
    OCCUPYING_STATUSES,
    AppointmentSource,
    AppointmentStatus,
    Channel,
    ChargeDecision,
    RepeatFrequency,
    SeriesScope,
)
from app.models.outbox import (
    ConfigEntry,
    DeliveryAttempt,
    MessageKind,
    MessageState,
    OutboxMessage,
)
from app.models.push import PushSubscription
from app.models.requests import ClientRequest, LinkNotice, RelayEvent, RequestKind, RequestState
from app.models.tables import (
    Appointment,
    AuditEvent,
    Client,
    PracticeSettings,
    Service,
    Staff,
    WorkingHours,
)

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
