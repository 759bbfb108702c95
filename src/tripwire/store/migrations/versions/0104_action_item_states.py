"""action items: states, reminders

Revision ID: 0104
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tripwire.store.base

revision = "0104"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("updated_at", tripwire.store.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("done_at", tripwire.store.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reminded_at", tripwire.store.base.UTCDateTime(), nullable=True))
        batch.create_index("ix_action_items_due", ["status", "due_at"])


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.drop_index("ix_action_items_due")
        batch.drop_column("reminded_at")
        batch.drop_column("done_at")
        batch.drop_column("updated_at")
