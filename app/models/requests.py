"""What clients ask through the relay, and the relay events already applied.

A client's cancellation is never applied by itself: it becomes a request that
waits for the professional's decision (charge, waive, reschedule, keep). A
confirmation or cancellation for a session that is no longer due is kept as a
notice, shown, and not applied."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field

from app.models.table_base import Table
from app.models.tables import _enum_column
from app.models.types import UTCDateTime


class RequestKind(StrEnum):
    CANCEL = "cancel"
    NOTICE = "notice"  # an answer that could not be applied, for the record


class RequestState(StrEnum):
    PENDING = "pending"
    RESOLVED = "resolved"


class ClientRequest(Table, table=True):
    __tablename__ = "client_request"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    kind: RequestKind = Field(sa_type=_enum_column(RequestKind))
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    received_at: datetime = Field(sa_type=UTCDateTime)
    state: RequestState = Field(default=RequestState.PENDING, sa_type=_enum_column(RequestState))
    decision: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RelayEvent(Table, table=True):
    """A relay event the desktop took in: applied once, whatever the retries. Known
    by the relay's name for its database and the relay's id in it."""

    __tablename__ = "relay_event"

    relay: str = Field(default="", primary_key=True)  # "" before relays named themselves
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str
    appointment_id: int | None = None
    received_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = ""
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class LinkNotice(Table, table=True):
    """What the relay must be told about a session whose link may be out there:
    it was moved (to `new_start`) or cancelled, so the link's page says so."""

    __tablename__ = "link_notice"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    # No foreign key: after a restore it names sessions the restored data never had.
    appointment_id: int
    state: str = Field(max_length=16)  # "moved", "cancelled", "gone" or "open"
    new_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    pushed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
