"""What clients ask through the relay (the relay's own records, app.models.relay_records).

A client's cancellation is never applied by itself: it becomes a request that
waits for the professional's decision (charge, waive, reschedule, keep). A
confirmation or cancellation for a session that is no longer due is kept as a
notice, shown, and not applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field

import app.models.tables  # noqa: F401  (client_request.appointment_id refers to appointment)
from app.models.enums import RequestKind, RequestState
from app.models.table_base import Table
from app.models.types import UTCDateTime, enum_column

__all__ = ["ClientRequest", "RequestKind", "RequestState"]


class ClientRequest(Table, table=True):
    __tablename__ = "client_request"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    kind: RequestKind = Field(sa_type=enum_column(RequestKind))
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    received_at: datetime = Field(sa_type=UTCDateTime)
    state: RequestState = Field(default=RequestState.PENDING, sa_type=enum_column(RequestState))
    decision: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
