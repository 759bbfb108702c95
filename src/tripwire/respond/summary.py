"""The incident summary `replay --json` prints (docs/events.md: replaying a file)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tripwire.respond.queries import list_incidents
from tripwire.respond.views import summary_json


def summary(session: Session, events: int) -> dict[str, Any]:
    """`{"events": N, "incidents": [...]}`, incidents newest `detected_at` first."""
    incidents: list[dict[str, Any]] = []
    before = None
    while batch := list_incidents(session, limit=500, before=before):
        incidents += [summary_json(session, incident) for incident in batch]
        before = (batch[-1].detected_at, batch[-1].number)
    return {"events": events, "incidents": incidents}
