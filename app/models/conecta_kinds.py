"""Conecta's kinds, without its tables: the media an attendance runs on, its
statuses, a message's direction, kind and delivery state, a call's outcome. Apart
from app.models.conecta so the command line offers them as choices without
building Conecta's tables; app.models.conecta re-exports each name."""

from __future__ import annotations

from enum import StrEnum


class Medium(StrEnum):
    """Meio de Comunicação."""

    SMS = "sms"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    VOIP = "voip"


# What each medium needs to reach the person.
NEEDS_PHONE = frozenset({Medium.SMS, Medium.WHATSAPP, Medium.VOIP})
NEEDS_EMAIL = frozenset({Medium.EMAIL})


class AttendanceStatus(StrEnum):
    IN_PROGRESS = "in_progress"  # Em andamento
    PENDING = "pending"  # Pendente
    FINISHED = "finished"  # Finalizado


OPEN_STATUSES = frozenset({AttendanceStatus.IN_PROGRESS, AttendanceStatus.PENDING})

# The built-in kinds of attendance; a practice adds its own in Configurações.
BUILT_IN_TYPES = ("support", "after_sales", "commercial")


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class EntryKind(StrEnum):
    TEXT = "text"
    TEMPLATE = "template"
    REPLY_BUTTON = "reply_button"  # the client tapped a template's quick reply
    MEDIA = "media"  # a picture, audio or document: shown as such, kept at Meta
    CALL = "call"  # a VoIP call, logged by hand
    NOTE = "note"  # an internal note; never sent


class DeliveryState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    RECEIVED = "received"  # inbound


# A later status never moves a message back (statuses arrive out of order).
DELIVERY_RANK = {DeliveryState.QUEUED: 0, DeliveryState.SENT: 1, DeliveryState.DELIVERED: 2,
                 DeliveryState.READ: 3}


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
