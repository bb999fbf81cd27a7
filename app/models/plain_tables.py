"""The tables the window's first week reads, as plain SQLAlchemy Core tables.

Defining the table classes (app.models.tables and its neighbours: SQLModel,
pydantic and the ORM's mapping) took about a tenth of the window's start, before
anything was shown. Opening a practice, its settings and hours, the week's
sessions and the change feed's watermark are read from these instead, and the
classes are defined once the week is painted.

For reading only: no defaults, no indexes, no constraints beyond the keys.
Every write goes through the table classes. Each column here has the name, type,
nullability and key of its class's column, in the same order
(tests/unit/test_plain_tables.py compares them)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text, Time
from sqlmodel.sql.sqltypes import AutoString

from app.models.enums import AppointmentSource, AppointmentStatus, RequestKind, RequestState
from app.models.types import UTCDateTime, enum_column

metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False)


practice_settings = Table(
    "practice_settings", metadata, _id(),
    Column("name", AutoString, nullable=False),
    Column("timezone", AutoString, nullable=False),
    Column("country", AutoString, nullable=False),
    Column("currency", AutoString, nullable=False),
    Column("language", AutoString, nullable=False),
    Column("address", String, nullable=False),
    Column("cancel_notice_minutes", Integer, nullable=False),
    Column("cancel_fee_cents", Integer, nullable=False),
    _version())

staff = Table(
    "staff", metadata, _id(),
    Column("name", AutoString, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("color", AutoString, nullable=False),
    _version())

working_hours = Table(
    "working_hours", metadata, _id(),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("weekday", Integer, nullable=False),
    Column("start", Time, nullable=False),
    Column("end", Time, nullable=False))

service = Table(
    "service", metadata, _id(),
    Column("name", AutoString, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("buffer_before_minutes", Integer, nullable=False),
    Column("buffer_after_minutes", Integer, nullable=False),
    Column("min_notice_minutes", Integer, nullable=False),
    Column("bookable_weekdays", AutoString, nullable=False),
    Column("bookable_from", Time),
    Column("bookable_until", Time),
    Column("max_per_day", Integer),
    Column("active", Boolean, nullable=False),
    _version())

client = Table(
    "client", metadata, _id(),
    Column("name", AutoString, nullable=False),
    Column("phone", AutoString),
    Column("email", AutoString),
    Column("search_key", Text, nullable=False),
    Column("preferred_channel", AutoString),
    *(Column(f"{medium}_consent_at", UTCDateTime)
      for medium in ("whatsapp", "email", "sms", "voice", "push")),
    Column("language", String, nullable=False),
    Column("notes", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    _version())

appointment = Table(
    "appointment", metadata, _id(),
    Column("client_id", Integer, ForeignKey("client.id"), nullable=False),
    Column("service_id", Integer, ForeignKey("service.id")),
    Column("custom_service_name", AutoString),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False),
    Column("start", UTCDateTime, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("buffer_before_minutes", Integer, nullable=False),
    Column("buffer_after_minutes", Integer, nullable=False),
    Column("status", enum_column(AppointmentStatus), nullable=False),
    Column("source", enum_column(AppointmentSource), nullable=False),
    Column("quoted_price_cents", Integer, nullable=False),
    Column("actual_price_cents", Integer),
    Column("notes", Text, nullable=False),
    Column("internal_notes", Text, nullable=False),
    Column("cancellation_reason", AutoString),
    Column("cancel_notify_client", Boolean),
    Column("charge_decision", AutoString),
    Column("cancellation_fee_cents", Integer),
    Column("cancelled_by", AutoString),
    Column("rescheduled_from_id", Integer, ForeignKey("appointment.id")),
    Column("rescheduled_to_id", Integer, ForeignKey("appointment.id")),
    Column("series_id", AutoString),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    _version(),
    Column("overlap_allowed", Boolean, nullable=False))

client_request = Table(
    "client_request", metadata, _id(),
    Column("kind", enum_column(RequestKind), nullable=False),
    Column("appointment_id", Integer, ForeignKey("appointment.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("state", enum_column(RequestState), nullable=False),
    Column("decision", AutoString),
    Column("decided_by", AutoString),
    Column("decided_at", UTCDateTime))

change_log = Table(
    "change_log", metadata, _id(),
    Column("at", UTCDateTime, nullable=False),
    Column("origin", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("entity_id", Integer))
