"""Liveness and what is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tripwire.api.auth import public, requires
from tripwire.api.deps import RuntimeDep
from tripwire.detect.persist import late_events
from tripwire.domain.incidents import OPEN_STATUSES
from tripwire.pipeline.follower import pending_events
from tripwire.respond.queries import counts_by_status
from tripwire.store.content_gaps import ContentGap, content_gaps
from tripwire.store.deadletter import count_quarantined
from tripwire.store.events import counts_by_type

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[public()])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/v1/stats", dependencies=[requires("read")])
def stats(runtime: RuntimeDep) -> dict[str, Any]:
    """How many events of each type are stored, how many incidents, the pipeline's backlog
    (`pending`: stored events not yet through the stages; `late`: events counted outside their
    own minute because they arrived after its window closed; `dead_letter`: events quarantined
    because a stage failed on them, see `tripwire deadletter list`), and per use case the
    outputs stored without their content with the setting that turns capture on."""
    with runtime.db.read() as session:
        events = counts_by_type(session)
        incidents = counts_by_status(session)
        pending = pending_events(session)
        dead_letter = count_quarantined(session)
        late = late_events(session)
        gaps = content_gaps(session)
    open_count = sum(n for status, n in incidents.items() if status in OPEN_STATUSES)
    return {
        "events": events,
        "incidents": {"open": open_count, **incidents},
        "pipeline": {"pending": pending, "late": late, "dead_letter": dead_letter},
        "content_not_captured": _not_captured(gaps),
    }


def _not_captured(gaps: list[ContentGap]) -> dict[str, Any]:
    """Per use case: outputs stored without content and the setting that turns capture on
    (the one behind most of them first, then every setting seen)."""
    found: dict[str, Any] = {}
    for gap in gaps:  # most outputs first within each use case
        entry = found.setdefault(
            gap.use_case, {"outputs": 0, "setting": gap.setting, "by_setting": {}}
        )
        entry["outputs"] += gap.outputs
        entry["by_setting"][gap.setting] = gap.outputs
        entry["last_seen"] = max(entry.get("last_seen", gap.last_ts), gap.last_ts)
    for entry in found.values():
        entry["last_seen"] = entry["last_seen"].isoformat().replace("+00:00", "Z")
    return found
