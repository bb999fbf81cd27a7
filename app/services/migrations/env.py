"""Alembic environment: runs on the connection handed over by app.services.migrate."""

from alembic import context
from sqlmodel import SQLModel

import app.models

app.models.load_all()  # every table on SQLModel.metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
