"""Conecta, the attendance inbox: each conversation with a client, on any
channel, is an attendance (a card) with its thread of messages, tags and call log.

Meta's rule for WhatsApp lives here as a pure function: a business may write
freely only within 24 hours of the client's last message; before the first reply
and after the window closes, only an approved template may be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, Integer, Text
from sqlmodel import Field

import app.models.tables  # noqa: F401  (attendance.client_id refers to client)
from app.models.conecta_kinds import (
    BUILT_IN_TYPES as BUILT_IN_TYPES,
)
from app.models.conecta_kinds import (
    DELIVERY_RANK as DELIVERY_RANK,
)
from app.models.conecta_kinds import (
    NEEDS_EMAIL as NEEDS_EMAIL,
)
from app.models.conecta_kinds import (
    NEEDS_PHONE as NEEDS_PHONE,
)
from app.models.conecta_kinds import (
    OPEN_STATUSES as OPEN_STATUSES,
)
from app.models.conecta_kinds import (
    AttendanceStatus as AttendanceStatus,
)
from app.models.conecta_kinds import (
    CallOutcome as CallOutcome,
)
from app.models.conecta_kinds import (
    DeliveryState as DeliveryState,
)
from app.models.conecta_kinds import (
    Direction as Direction,
)
from app.models.conecta_kinds import (
    EntryKind as EntryKind,
)
from app.models.conecta_kinds import (
    Medium as Medium,
)
from app.models.table_base import Table
from app.models.types import UTCDateTime, enum_column

WINDOW = timedelta(hours=24)
WINDOW_CLOSED_CODE = "131047"  # Meta: more than 24 hours since the client's last message


class Attendance(Table, table=True):
    __tablename__ = "attendance"
    # ids never reused
    __table_args__ = (Index("ix_attendance_status_activity", "status", "last_activity_at"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    medium: Medium = Field(sa_type=enum_column(Medium))
    name: str
    phone: str | None = Field(default=None, index=True)  # E.164
    email: str | None = Field(default=None, index=True)
    # The folded name and e-mail a search compares with (models.search_text).
    search_key: str = Field(default="", sa_column=Column(Text, nullable=False, default="",
                                                         server_default=""))
    status: AttendanceStatus = Field(sa_type=enum_column(AttendanceStatus))
    type: str = "support"  # a built-in key or the practice's own name
    originator: str = ""  # the practice's number or address it runs on (Originado por)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    unread: int = 0
    subject: str = ""  # e-mail: the thread's subject
    created_by: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_activity_at: datetime = Field(sa_type=UTCDateTime)
    # WhatsApp: when Meta last refused free text with 131047 (closes the window).
    window_refused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))


class AttendanceTag(Table, table=True):
    __tablename__ = "attendance_tag"

    attendance_id: int = Field(foreign_key="attendance.id", primary_key=True)
    tag: str = Field(primary_key=True, index=True)


class ConversationEntry(Table, table=True):
    """One message, call or note in an attendance's thread."""

    __tablename__ = "conversation_entry"
    # ids never reused
    __table_args__ = (Index("ix_conversation_entry_thread", "attendance_id", "at"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    attendance_id: int = Field(foreign_key="attendance.id")
    direction: Direction = Field(sa_type=enum_column(Direction))
    kind: EntryKind = Field(sa_type=enum_column(EntryKind))
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    template: str | None = None
    template_language: str | None = None
    template_params: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    subject: str | None = None
    author: str = ""  # who wrote it: a person here, or the client's name
    at: datetime = Field(sa_type=UTCDateTime)
    state: DeliveryState = Field(sa_type=enum_column(DeliveryState))
    error: str | None = None
    error_code: str | None = None
    provider_id: str | None = Field(default=None, index=True)  # wamid, Twilio SID, Message-ID
    reply_to: str | None = None  # the provider id this message answers (WhatsApp context)
    call_seconds: int | None = None
    call_outcome: CallOutcome | None = Field(default=None, sa_type=enum_column(CallOutcome))


class MessageTemplate(Table, table=True):
    """A WhatsApp template approved by Meta: typed here by the practice, or read from
    Meta (GET /{waba-id}/message_templates, then marked by Meta's webhooks). Its
    name and language at Meta, its body with {{1}}, {{2}}... for the preview, and
    what each parameter means.

    Read from Meta it also holds Meta's id, its category (UTILITY, MARKETING,
    AUTHENTICATION: Meta prices them differently), its status (APPROVED, PENDING,
    REJECTED, PAUSED, DISABLED, ... ; "" for one typed here, taken as approved),
    Meta's reason for the last change of status, the category it had before Meta
    moved it ("" when it never moved), and its buttons as JSON
    ([{"type": "URL", "text": ..., "url": ".../{{1}}"}, ...]).
    https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/message_templates/"""

    __tablename__ = "message_template"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    name: str
    language: str = "pt_BR"
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    parameter_labels: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    active: bool = True
    meta_id: str | None = Field(default=None, index=True)
    category: str = ""
    status: str = ""
    status_reason: str = ""
    previous_category: str = ""
    buttons: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # from Meta, UTC


# ---------------------------------------------------------------- the 24-hour window

@dataclass(frozen=True)
class Window:
    open: bool
    closes_at: datetime | None  # when it is open
    reason: str  # no_reply, open, expired, refused

    def left(self, now: datetime) -> timedelta:
        return max(self.closes_at - now, timedelta(0)) if self.closes_at else timedelta(0)


def whatsapp_window(last_inbound_at: datetime | None, refused_at: datetime | None,
                    now: datetime) -> Window:
    """Free text is allowed while now < last inbound + 24 h (as Meta and Chatwoot
    count it: at exactly 24 h it is closed). Only the client's messages open it; a
    template the practice sends does not. A 131047 refusal after the client's
    last message closes it whatever the clock says."""
    if last_inbound_at is None:
        return Window(False, None, "no_reply")
    if refused_at is not None and refused_at >= last_inbound_at:
        return Window(False, None, "refused")
    closes = last_inbound_at + WINDOW
    if now < closes:
        return Window(True, closes, "open")
    return Window(False, None, "expired")
