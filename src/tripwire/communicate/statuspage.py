"""The public status page, in the shape of Atlassian Statuspage's `summary.json`.

Pure mapping from incidents to what the public sees; nothing internal leaks: only the title,
the public updates people posted, the affected use cases and the times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tripwire.config.communicate import StatusPageConfig
from tripwire.domain.clock import isoformat_z
from tripwire.domain.incidents import SEVERITIES

COMPONENT_ORDER = ("operational", "degraded_performance", "partial_outage", "major_outage")
IMPACT = {"P0": "critical", "P1": "major", "P2": "minor", "P3": "none"}
INDICATOR = {
    "operational": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
STAGES = ("investigating", "identified", "monitoring", "resolved")


@dataclass(frozen=True, slots=True)
class PublicUpdate:
    id: str
    stage: str | None
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the status page may know of one incident."""

    id: str
    title: str
    type: str
    severity: str
    status: str
    use_case: str | None
    detected_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: Sequence[PublicUpdate] = field(default_factory=tuple)

    @property
    def is_open(self) -> bool:
        return self.status in ("triggered", "acknowledged", "mitigated")


def component_status(incident: IncidentFacts) -> str:
    """How much an open incident hurts its component."""
    if incident.severity == "P0":
        return "major_outage" if incident.type == "availability" else "partial_outage"
    if incident.severity == "P1" and incident.type == "availability":
        return "partial_outage"
    return "degraded_performance"


def _at_least(severity: str, floor: str) -> bool:
    return SEVERITIES.index(severity) <= SEVERITIES.index(floor)


def is_public(incident: IncidentFacts, config: StatusPageConfig) -> bool:
    if (
        config.components.get(incident.use_case or "", None)
        and config.components[incident.use_case or ""].hidden
    ):
        return False
    if any(u.stage for u in incident.updates):
        return True
    return (
        config.publish == "open"
        and incident.is_open
        and _at_least(incident.severity, config.min_severity)
    )


def public_stage(incident: IncidentFacts) -> str:
    if not incident.is_open:
        return "resolved"
    staged = [u.stage for u in incident.updates if u.stage in STAGES]
    return staged[-1] if staged else "investigating"


def build_summary(
    config: StatusPageConfig,
    use_cases: Iterable[str],
    incidents: Sequence[IncidentFacts],
    now: datetime,
    page_url: str,
) -> dict[str, Any]:
    """The `summary.json` document: page, status, components, incidents."""
    components = _components(config, use_cases, incidents, now)
    worst = max((c["status"] for c in components), key=COMPONENT_ORDER.index, default="operational")
    indicator = INDICATOR[worst]
    shown = [i for i in incidents if is_public(i, config)]
    return {
        "page": {
            "id": "tripwire",
            "name": config.name,
            "url": config.url or page_url,
            "time_zone": config.time_zone,
            "updated_at": isoformat_z(now),
        },
        "status": {"indicator": indicator, "description": DESCRIPTION[indicator]},
        "components": components,
        "incidents": [_incident(i, components) for i in shown],
        "scheduled_maintenances": [],
    }


def _components(
    config: StatusPageConfig,
    use_cases: Iterable[str],
    incidents: Sequence[IncidentFacts],
    now: datetime,
) -> list[dict[str, Any]]:
    names = list(config.components)
    if config.auto_components:
        names += sorted(set(use_cases) - set(names))
    result = []
    for position, key in enumerate((n for n in names if not _hidden(config, n)), start=1):
        spec = config.components.get(key)
        hurting = [
            component_status(i)
            for i in incidents
            if i.is_open
            and i.use_case in (key, None)
            and _at_least(i.severity, config.min_severity)
        ]
        result.append(
            {
                "id": key,
                "name": (spec.name if spec and spec.name else key),
                "status": max(hurting, key=COMPONENT_ORDER.index, default="operational"),
                "position": position,
                "description": spec.description if spec else None,
                "group_id": spec.group if spec else None,
                "only_show_if_degraded": False,
                "created_at": None,
                "updated_at": isoformat_z(now),
            }
        )
    return result


def _hidden(config: StatusPageConfig, name: str) -> bool:
    spec = config.components.get(name)
    return bool(spec and spec.hidden)


def _incident(incident: IncidentFacts, components: list[dict[str, Any]]) -> dict[str, Any]:
    affected = [
        {"id": c["id"], "name": c["name"]}
        for c in components
        if incident.use_case in (c["id"], None)
    ]
    updates = [
        {
            "id": u.id,
            "incident_id": incident.id,
            "status": u.stage or public_stage(incident),
            "body": u.body,
            "created_at": isoformat_z(u.at),
            "display_at": isoformat_z(u.at),
            "affected_components": affected,
        }
        for u in reversed(incident.updates)
    ]
    return {
        "id": incident.id,
        "name": incident.title,
        "status": public_stage(incident),
        "impact": IMPACT.get(incident.severity, "none"),
        "created_at": isoformat_z(incident.detected_at),
        "updated_at": isoformat_z(incident.updated_at),
        "resolved_at": isoformat_z(incident.resolved_at) if incident.resolved_at else None,
        "incident_updates": updates,
        "components": affected,
    }
