"""What every table shares."""

from __future__ import annotations

from sqlalchemy import Table as SATable
from sqlmodel import SQLModel


class Table(SQLModel):
    """A table's row. Its pydantic validator is built when first used (a table's
    row is made without validation, so at most a form's check builds one), not when
    the class is defined: that was a fifth of the time the window's start spends
    defining its tables.
    https://docs.pydantic.dev/latest/api/config/#pydantic.config.ConfigDict.defer_build"""

    model_config = {"defer_build": True}


def table_of(model: type[SQLModel]) -> SATable:
    """The table behind a table class. A statement built only from its plain
    columns is compiled without the ORM's layer, and no mapper is configured for
    it: the window's first week is read that way, leaving the mappers' set-up
    (a few milliseconds of the start) until after it is painted."""
    table: SATable = model.__table__  # type: ignore[attr-defined]
    return table
