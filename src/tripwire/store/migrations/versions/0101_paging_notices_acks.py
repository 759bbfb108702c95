"""paging: incident notices (deferred pages, digest, stakeholders) and per-person acks

Revision ID: 0101
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tripwire.store.base

revision = "0101"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = tripwire.store.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "incident_notices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("incident", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("person", sa.String(length=256), nullable=True),
        sa.Column("group_name", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _AT(), nullable=False),
        sa.Column("send_at", _AT(), nullable=False),
        sa.Column("sent_at", _AT(), nullable=True),
        sa.Column("outbox_id", sa.String(length=64), nullable=True),
        sa.Column("deadline", sa.Integer(), nullable=True),
        sa.Column("acked_at", _AT(), nullable=True),
        sa.Column("acked_via", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident"], ["incidents.number"], name=op.f("fk_incident_notices_incident_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notices")),
    )
    with op.batch_alter_table("incident_notices", schema=None) as batch_op:
        batch_op.create_index("ix_incident_notices_due", ["state", "send_at"], unique=False)
        batch_op.create_index("ix_incident_notices_incident", ["incident"], unique=False)
    op.create_table(
        "incident_acks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("incident", _ID, nullable=False),
        sa.Column("person", sa.String(length=256), nullable=False),
        sa.Column("at", _AT(), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("notice", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident"], ["incidents.number"], name=op.f("fk_incident_acks_incident_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_acks")),
    )
    with op.batch_alter_table("incident_acks", schema=None) as batch_op:
        batch_op.create_index("ix_incident_acks_incident", ["incident"], unique=False)


def downgrade() -> None:
    op.drop_table("incident_acks")
    op.drop_table("incident_notices")
