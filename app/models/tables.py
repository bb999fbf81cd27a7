"""The tables. Money is kept in cents, instants in UTC (see types.UTCDateTime),
durations and buffers in minutes. Rows are never deleted: history lives here."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, Column, Index, Integer, String, Text, false
from sqlmodel import Field

from app.models.enums import AppointmentSource, AppointmentStatus
from app.models.table_base import Table
from app.models.types import UTCDateTime, enum_column

ALL_WEEKDAYS = "0123456"  # Monday=0 .. Sunday=6, as datetime.weekday()


class PracticeSettings(Table, table=True):
    __tablename__ = "practice_settings"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    name: str = "Practice"
    timezone: str = "America/Sao_Paulo"
    country: str = "BR"  # default region for phone numbers
    currency: str = "BRL"
    language: str = ""  # empty: follow the system locale
    # Where sessions happen, one line, for the client's e-mails ("" says nothing).
    address: str = Field(default="", sa_column=Column(String, nullable=False, default="",
                                                      server_default=""))
    # Cancellation policy: cancelling with less notice than this may be charged the fee.
    cancel_notice_minutes: int = 24 * 60
    cancel_fee_cents: int = 0
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))


class WorkingHours(Table, table=True):
    """One open interval on one weekday; several make a day with breaks.
    staff_id None is the practice's hours; a professional with rows of their own uses those."""

    __tablename__ = "working_hours"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    weekday: int  # 0 = Monday
    start: time
    end: time


class Staff(Table, table=True):
    __tablename__ = "staff"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    name: str
    active: bool = True
    color: str = "#3b82f6"
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))


class Client(Table, table=True):
    __tablename__ = "client"
    __table_args__ = (
        # The client list, searched and shown from the index alone (migration 0016:
        # SQLite only).
        Index("ix_client_directory", "search_key", "id", "active", "name", "phone",
              "email").ddl_if(dialect="sqlite"),
        {"sqlite_autoincrement": True},  # ids never reused
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    phone: str | None = Field(default=None, index=True)  # E.164
    email: str | None = Field(default=None, index=True)
    # The folded name and e-mail a search compares with (models.search_text).
    search_key: str = Field(default="", sa_column=Column(Text, nullable=False, default="",
                                                         server_default=""))
    preferred_channel: str | None = None
    whatsapp_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    email_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sms_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voice_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Given by the client on the link's page, when their phone subscribed (push.py).
    push_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The language of the messages the client receives; "" follows the practice's.
    language: str = Field(default="", sa_column=Column(String, nullable=False, default="",
                                                       server_default=""))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))


class Service(Table, table=True):
    __tablename__ = "service"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused

    id: int | None = Field(default=None, primary_key=True)
    name: str
    duration_minutes: int
    price_cents: int = 0
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    bookable_weekdays: str = ALL_WEEKDAYS
    bookable_from: time | None = None
    bookable_until: time | None = None
    max_per_day: int | None = None
    active: bool = True
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))


class Appointment(Table, table=True):
    __tablename__ = "appointment"
    # ids never reused
    __table_args__ = (
        Index("ix_appointment_staff_start", "staff_id", "start"),
        Index("ix_appointment_client_start", "client_id", "start"),
        # A client list's next sessions and no-show counts, read from the index alone.
        Index("ix_appointment_client_status_start", "client_id", "status", "start"),
        # Sessões filtered by a status, in time order: a page read without sorting.
        Index("ix_appointment_status_start", "status", "start"),
        # A professional's own clients (whose notes they read), from the index alone.
        Index("ix_appointment_staff_client_status", "staff_id", "client_id", "status"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id")
    service_id: int | None = Field(default=None, foreign_key="service.id")
    custom_service_name: str | None = None
    staff_id: int = Field(foreign_key="staff.id")
    start: datetime = Field(sa_type=UTCDateTime, index=True)
    duration_minutes: int
    # Buffers are copied from the service at booking, so editing a service later
    # does not silently move the boundaries of sessions already booked.
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    status: AppointmentStatus = Field(default=AppointmentStatus.SCHEDULED,
                                      sa_type=enum_column(AppointmentStatus))
    source: AppointmentSource = Field(default=AppointmentSource.MANUAL,
                                      sa_type=enum_column(AppointmentSource))
    quoted_price_cents: int = 0
    actual_price_cents: int | None = None
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    internal_notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cancellation_reason: str | None = None
    cancel_notify_client: bool | None = None
    charge_decision: str | None = None
    cancellation_fee_cents: int | None = None
    cancelled_by: str | None = None  # enums.CancelledBy; None before it was asked
    rescheduled_from_id: int | None = Field(default=None, foreign_key="appointment.id")
    rescheduled_to_id: int | None = Field(default=None, foreign_key="appointment.id")
    series_id: str | None = Field(default=None, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # Raised by each change (storage.change_feed): a form saved over another
    # computer's change is refused.
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, default=1,
                                                     server_default="1"))
    # Booked over another session on purpose (override): the server's constraint
    # against overlapping sessions leaves it out.
    overlap_allowed: bool = Field(default=False, sa_column=Column(
        Boolean, nullable=False, default=False, server_default=false()))


class AuditEvent(Table, table=True):
    """Who did what, when: old -> new values as JSON."""

    __tablename__ = "audit_event"
    # ids never reused
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    entity: str  # "appointment", "client", "service", "staff", "settings"
    entity_id: int | None = None
    action: str
    changes: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
