"""The practice's non-secret configuration: one row per key (app.services.config
says which keys exist and their defaults). A table of its own, apart from the
outbox's, so reading the configuration builds no other table."""

from __future__ import annotations

from sqlalchemy import Column, Integer, Text
from sqlmodel import Field

from app.models.table_base import Table


class ConfigEntry(Table, table=True):
    __tablename__ = "config"

    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))
