"""The plain tables the window's first week is read from (app.models.plain_tables)
say what the table classes say: the same columns in the same order, with the
same types, nullability and keys. A column added to a class and not here (or
changed in one place only) fails here, not in a week read wrongly."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel

from app import models
from app.models import plain_tables


def _shape(column: Column[object]) -> tuple[object, ...]:
    return (column.name, repr(column.type), type(column.type),
            getattr(column.type, "enum_class", None),
            column.type.compile(sqlite.dialect()), column.type.compile(postgresql.dialect()),
            column.nullable, column.primary_key,
            sorted(fk.target_fullname for fk in column.foreign_keys))


PLAIN = sorted(plain_tables.metadata.tables)


def test_every_table_the_first_week_reads_is_there() -> None:
    assert PLAIN == ["appointment", "change_log", "client", "client_request",
                     "practice_settings", "service", "staff", "working_hours"]


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_table_is_its_class_table(name: str) -> None:
    models.load_all()
    defined: Table = SQLModel.metadata.tables[name]
    plain = plain_tables.metadata.tables[name]
    assert [_shape(c) for c in plain.columns] == [_shape(c) for c in defined.columns]


def test_a_change_in_one_place_only_is_seen() -> None:
    models.load_all()
    defined = SQLModel.metadata.tables["appointment"]
    plain = plain_tables.metadata.tables["appointment"]
    altered = [_shape(c) for c in plain.columns]
    altered[5] = _shape(Column("start", plain.c.start.type, nullable=True))
    assert altered != [_shape(c) for c in defined.columns]
