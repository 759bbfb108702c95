"""genai content join and content gaps

Revision ID: 0020
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tripwire.store.base

revision = "0020"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "content_gaps",
        sa.Column("use_case", sa.String(length=256), nullable=False),
        sa.Column("setting", sa.String(length=512), nullable=False),
        sa.Column("outputs", sa.BigInteger(), nullable=False),
        sa.Column("first_ts", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("last_ts", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("use_case", "setting", name=op.f("pk_content_gaps")),
    )
    with op.batch_alter_table("content_gaps", schema=None) as batch_op:
        batch_op.create_index("ix_content_gaps_last_ts", ["last_ts"], unique=False)

    op.create_table(
        "genai_content_parts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("span", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_content_parts")),
    )
    with op.batch_alter_table("genai_content_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genai_content_parts_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_genai_content_parts_span"), ["span"], unique=False)

    op.create_table(
        "genai_held_outputs",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("use_case", sa.String(length=256), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("release_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genai_held_outputs")),
    )
    with op.batch_alter_table("genai_held_outputs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_genai_held_outputs_release_at"), ["release_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("genai_held_outputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genai_held_outputs_release_at"))

    op.drop_table("genai_held_outputs")
    with op.batch_alter_table("genai_content_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_genai_content_parts_span"))
        batch_op.drop_index(batch_op.f("ix_genai_content_parts_received_at"))

    op.drop_table("genai_content_parts")
    with op.batch_alter_table("content_gaps", schema=None) as batch_op:
        batch_op.drop_index("ix_content_gaps_last_ts")

    op.drop_table("content_gaps")
