"""Column types. Instants are stored as naive UTC and always come back aware,
so no code path ever compares a local wall-clock time with a UTC one."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def enum_column(enum: type[StrEnum]) -> SAEnum:
    """The column type of an enum's field: stored by value ("no_show", the same
    spelling the command line prints) in a VARCHAR(32), with no CHECK constraint."""
    return SAEnum(enum, values_callable=lambda e: [m.value for m in e],
                  native_enum=False, create_constraint=False, length=32)
