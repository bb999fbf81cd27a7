"""Outgoing messages (the practice's non-secret configuration, once here, is in
app.models.config_entry and still importable from here).

Every reminder and notice is an outbox row with a unique idempotency key. The row,
not a scheduler job, is the truth: a worker claims it (pending -> sending), calls
the provider, and records the result. A row found still `sending` after its lease
ran out had its fate lost in a crash: it becomes `unknown` for a person to decide,
and is never sent again on its own."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field

import app.models.conecta  # noqa: F401  (outbox.conversation_entry_id refers to it)
from app.models.config_entry import ConfigEntry as ConfigEntry
from app.models.table_base import Table
from app.models.types import UTCDateTime, enum_column


class MessageState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # claimed, then the worker died: sent or not, nobody knows



class MessageKind(StrEnum):
    REMINDER = "reminder"
    CONFIRMATION = "confirmation"
    CANCELLATION = "cancellation"
    RESCHEDULE = "reschedule"
    TEST = "test"
    CONVERSATION = "conversation"  # written in Conecta: the entry says what to send


class OutboxMessage(Table, table=True):
    __tablename__ = "outbox"
    # ids never reused
    __table_args__ = (Index("ix_outbox_state_due", "state", "due_at"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True)
    kind: MessageKind = Field(sa_type=enum_column(MessageKind))
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    conversation_entry_id: int | None = Field(default=None, foreign_key="conversation_entry.id",
                                              index=True)
    channel: str
    minutes_before: int | None = None
    custom_text: str | None = None
    recipient: str | None = None
    due_at: datetime = Field(sa_type=UTCDateTime)
    state: MessageState = Field(default=MessageState.PENDING, sa_type=enum_column(MessageState))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    provider_message_id: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The message this one replaces: a call nobody answered falls back to the
    # client's next agreed channel (reminders.fall_back).
    fallback_of: int | None = Field(default=None, foreign_key="outbox.id")


class DeliveryAttempt(Table, table=True):
    """One try at one message: what the provider answered."""

    __tablename__ = "delivery_attempt"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    outcome: str  # sent, retry, failed, skipped, unknown
    code: str | None = None
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ChannelCheck(Table, table=True):
    """The last time a channel (or the relay's links, or the reply mailbox) was
    tried from Integrações with Testar or Conectar, and what came of it: the
    overview shows it, and a later check replaces it."""

    __tablename__ = "channel_check"

    channel: str = Field(primary_key=True)  # whatsapp, email, imap, sms, links
    at: datetime = Field(sa_type=UTCDateTime)
    ok: bool
    said: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
