"""The change feed's log: one row per thing a committed transaction changed, ids
only (app/services/storage/change_feed.py writes and reads it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String
from sqlmodel import Field

from app.models.table_base import Table
from app.models.types import UTCDateTime


class ChangeLogEntry(Table, table=True):
    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_at", "at"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # The process that wrote it (a token per open practice): its own rows are skipped.
    origin: str = Field(sa_column=Column(String(32), nullable=False))
    # appointment, client, service, staff, conversation, settings, or all
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    entity_id: int | None = None
