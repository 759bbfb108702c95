"""Per-user hourly counts of outputs for the affected-users panel

A table of outputs counted per use case, hour, user id and segment, kept by the store as it
inserts and by triggers on `events` as outputs leave (see `tripwire.store.affected_hours`), and
filled from the outputs already stored, so that an incident's panel reads hours instead of
every output of its window. SQLite only, like the indexes of 0123; PostgreSQL is left as it is.

Revision ID: 0124
Revises: 0123
"""

from __future__ import annotations

from alembic import op

from tripwire.store import affected_hours

revision = "0124"
down_revision = "0123"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in affected_hours.create_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in affected_hours.drop_statements():
        op.execute(statement)
