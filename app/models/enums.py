"""The closed vocabularies of the domain. Values are stored in the database and
appear in the command line's JSON: never rename one."""

from __future__ import annotations

from enum import StrEnum


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    NO_SHOW = "no_show"


# Statuses whose time is taken: a cancelled or moved session frees its slot.
OCCUPYING_STATUSES: frozenset[AppointmentStatus] = frozenset(
    {
        AppointmentStatus.SCHEDULED,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
    }
)

# Statuses of a session that is still going to happen.
ACTIVE_STATUSES: frozenset[AppointmentStatus] = frozenset(
    {AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED}
)


class AppointmentSource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    CALENDAR_SYNC = "calendar_sync"
    CLIENT_LINK = "client_link"
    RECURRENCE = "recurrence"


class Channel(StrEnum):
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"  # a phone call the client answers with a key (Twilio Voice)
    PUSH = "push"  # a notification on the client's phone (Web Push, RFC 8030)


class ChargeDecision(StrEnum):
    CHARGE = "charge"  # charge per the practice's cancellation policy
    WAIVE = "waive"


class CancelledBy(StrEnum):
    """Who called a session off: a late-cancellation fee is the client's only."""

    CLIENT = "client"
    PRACTICE = "practice"


class SeriesScope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"
    ALL = "all"


class RepeatFrequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"  # same weekday of the month: the 2nd Tuesday, the last Friday


class RequestKind(StrEnum):
    """What a client's request through the relay is (app.models.requests)."""

    CANCEL = "cancel"
    NOTICE = "notice"  # an answer that could not be applied, for the record


class RequestState(StrEnum):
    PENDING = "pending"
    RESOLVED = "resolved"
