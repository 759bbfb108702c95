"""evaluate tables

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tripwire.store.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "judge_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column(
            "verdict",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_judge_cache")),
    )
    op.create_table(
        "judge_spend",
        sa.Column("hour", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_judge_spend")),
    )
    op.create_table(
        "ticket_topics",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("use_case", sa.String(length=256), nullable=True),
        sa.Column("ts", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("classified_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_ticket_topics")),
    )
    with op.batch_alter_table("ticket_topics", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_topics_use_case_ts", ["use_case", "ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_topics_use_case_ts")
    op.drop_table("ticket_topics")
    op.drop_table("judge_spend")
    op.drop_table("judge_cache")
