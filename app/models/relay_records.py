"""What the desktop keeps of its exchanges with the relay: the events it took in
(each applied once) and what the relay must still be told about a session's link.
Apart from the client's requests (app.models.requests), which the agenda reads as
the window opens: these are read once the relay is reached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field

from app.models.table_base import Table
from app.models.types import UTCDateTime


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
