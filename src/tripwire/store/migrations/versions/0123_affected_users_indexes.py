"""SQLite indexes for the affected-users query

Partial indexes holding what the affected-users query reads of outputs, scores and triggered
safety checks (see `tripwire.store.affected_index`), so that an incident's panel reads index
entries instead of every payload of its window. PostgreSQL is left as it is.

Revision ID: 0123
Revises: 0122
"""

from __future__ import annotations

from alembic import op

from tripwire.store import affected_index

revision = "0123"
down_revision = "0122"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in affected_index.create_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in affected_index.drop_statements():
        op.execute(statement)
