"""The incident summary of CONTRACT 3.3 (`replay --json`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def summary(session: Session, events: int) -> dict[str, Any]:
    """`{"events": N, "incidents": [...]}`, incidents newest `detected_at` first."""
    incidents: list[dict[str, Any]] = []
    return {"events": events, "incidents": incidents}
