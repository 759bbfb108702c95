"""Alembic environment: runs with the connection handed over by tripwire.store.migrate."""

from __future__ import annotations

from alembic import context

import tripwire.store.tables  # noqa: F401  (registers every table on the metadata)
from tripwire.store.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `tripwire.store.migrate.upgrade(engine)`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
