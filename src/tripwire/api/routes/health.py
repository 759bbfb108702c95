"""Liveness and what is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tripwire.api.auth import public, requires
from tripwire.api.deps import RuntimeDep
from tripwire.domain.incidents import OPEN_STATUSES
from tripwire.pipeline.follower import pending_events
from tripwire.respond.queries import counts_by_status
from tripwire.store.deadletter import count_quarantined
from tripwire.store.events import counts_by_type

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[public()])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/v1/stats", dependencies=[requires("read")])
def stats(runtime: RuntimeDep) -> dict[str, Any]:
    """How many events of each type are stored, how many incidents, and the pipeline's backlog
    (`pending`: stored events not yet through the stages; `dead_letter`: events quarantined
    because a stage failed on them, see `tripwire deadletter list`)."""
    with runtime.db.read() as session:
        events = counts_by_type(session)
        incidents = counts_by_status(session)
        pending = pending_events(session)
        dead_letter = count_quarantined(session)
    open_count = sum(n for status, n in incidents.items() if status in OPEN_STATUSES)
    return {
        "events": events,
        "incidents": {"open": open_count, **incidents},
        "pipeline": {"pending": pending, "dead_letter": dead_letter},
    }
