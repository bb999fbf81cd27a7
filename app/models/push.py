"""A client's phone that agreed to notifications: a Web Push subscription (the
W3C Push API's PushSubscription, sent by the link's page through the relay,
sealed). The push service's address and the keys that encrypt for that browser
(RFC 8291) are all it holds; a subscription the push service no longer knows
(404/410, RFC 8030 §7.3) is dropped, kept with when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field

import app.models.tables  # noqa: F401  (push_subscription.client_id refers to client)
from app.models.table_base import Table
from app.models.types import UTCDateTime


class PushSubscription(Table, table=True):
    __tablename__ = "push_subscription"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    endpoint: str = Field(sa_column=Column(Text, nullable=False))  # the push service's URL
    p256dh: str  # the browser's P-256 public key, base64url (RFC 8291 §3.1)
    auth: str  # the browser's 16-byte authentication secret, base64url
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dropped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dropped_reason: str = Field(default="", sa_column=Column(Text, nullable=False,
                                                             default="", server_default=""))
