"""detect tables

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tripwire.store.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "detect_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("dedup_key", sa.String(length=800), nullable=False),
        sa.Column("monitor", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=256), nullable=False),
        sa.Column("incident_type", sa.String(length=32), nullable=False),
        sa.Column("use_case", sa.String(length=256), nullable=True),
        sa.Column("segment", JSON, nullable=False),
        sa.Column("started_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("detected_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", tripwire.store.base.UTCDateTime(), nullable=True),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("observed", sa.Float(), nullable=True),
        sa.Column("magnitude", sa.Float(), nullable=True),
        sa.Column("severity_hint", sa.String(length=4), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detect_alerts")),
    )
    with op.batch_alter_table("detect_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_detect_alerts_dedup_key", ["dedup_key", "resolved_at"], unique=False
        )
        batch_op.create_index("ix_detect_alerts_detected_at", ["detected_at"], unique=False)

    op.create_table(
        "detect_windows",
        sa.Column("key", sa.String(length=700), nullable=False),
        sa.Column("hour", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("key", "hour", name=op.f("pk_detect_windows")),
    )
    with op.batch_alter_table("detect_windows", schema=None) as batch_op:
        batch_op.create_index("ix_detect_windows_hour", ["hour"], unique=False)

    op.create_table(
        "detector_state",
        sa.Column("key", sa.String(length=700), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("updated_at", tripwire.store.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_detector_state")),
    )


def downgrade() -> None:
    op.drop_table("detector_state")
    with op.batch_alter_table("detect_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_detect_windows_hour")
    op.drop_table("detect_windows")
    with op.batch_alter_table("detect_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_detect_alerts_detected_at")
        batch_op.drop_index("ix_detect_alerts_dedup_key")
    op.drop_table("detect_alerts")
