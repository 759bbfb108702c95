"""Join the schema branches of paging (0101), user messages (0102), the status page (0103),
action-item states (0104) and the incident type reason (0105): no change of its own.

Revision ID: 0110
Revises: 0101, 0102, 0103, 0104, 0105
"""

from __future__ import annotations

revision = "0110"
down_revision = ("0101", "0102", "0103", "0104", "0105")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the parents are independent."""


def downgrade() -> None:
    """Nothing to undo."""
