"""What every table shares."""

from __future__ import annotations

from sqlmodel import SQLModel


class Table(SQLModel):
    """A table's row. Its pydantic validator is built when first used (a table's
    row is made without validation, so at most a form's check builds one), not when
    the class is defined: that was a fifth of the time the window's start spends
    defining its tables.
    https://docs.pydantic.dev/latest/api/config/#pydantic.config.ConfigDict.defer_build"""

    model_config = {"defer_build": True}

