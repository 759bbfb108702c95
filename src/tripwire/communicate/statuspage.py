"""The public status page, in the shape of Atlassian Statuspage's `summary.json`.

Pure mapping from what people published to what the public sees. Only published incidents
appear, under the public title and the updates people wrote; a component changes only through
a published incident (or a maintenance window in progress). Nothing internal is read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tripwire.config.communicate import StatusPageConfig
from tripwire.domain.clock import isoformat_z

PUBLIC_STATUSES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("degraded_performance", "partial_outage", "major_outage")
COMPONENT_ORDER = ("operational", "under_maintenance", *IMPACTS)
INDICATOR = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
DESCRIPTION = {
    "none": "All Systems Operational",
    "maintenance": "Service Under Maintenance",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
INCIDENT_IMPACT = {
    "operational": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}


@dataclass(frozen=True, slots=True)
class PublicUpdate:
    id: str
    status: str
    body: str
    at: datetime
    components: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PublicIncident:
    """One published incident as the public knows it (never the internal incident)."""

    id: str
    title: str
    status: str
    components: Mapping[str, str]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: Sequence[PublicUpdate] = field(default_factory=tuple)

    @property
    def impact(self) -> str:
        """The worst impact it ever announced (kept after resolution, like Statuspage)."""
        seen = [s for u in self.updates for s in u.components.values()]
        worst = worst_of([*seen, *self.components.values()])
        return INCIDENT_IMPACT.get(worst, "none")


@dataclass(frozen=True, slots=True)
class Maintenance:
    id: str
    title: str
    body: str
    components: Sequence[str]
    starts_at: datetime
    ends_at: datetime

    def state(self, now: datetime) -> str:
        if now < self.starts_at:
            return "scheduled"
        return "in_progress" if now < self.ends_at else "completed"


def worst_of(statuses: Iterable[str]) -> str:
    known = [s for s in statuses if s in COMPONENT_ORDER]
    return max(known, key=COMPONENT_ORDER.index, default="operational")


def component_ids(config: StatusPageConfig, use_cases: Iterable[str]) -> list[str]:
    """The public components: configured ones first, then (auto) every use case seen."""
    names = list(config.components)
    if config.auto_components:
        names += sorted(set(use_cases) - set(names))
    return [n for n in names if not _hidden(config, n)]


def display_name(config: StatusPageConfig, component: str) -> str:
    spec = config.components.get(component)
    return spec.name if spec and spec.name else component


def current_status(
    component: str,
    incidents: Sequence[PublicIncident],
    maintenance: Sequence[Maintenance],
    now: datetime,
) -> str:
    hurting = [i.components.get(component, "operational") for i in incidents if not i.resolved_at]
    status = worst_of(hurting)
    if status == "operational" and any(
        component in m.components and m.state(now) == "in_progress" for m in maintenance
    ):
        return "under_maintenance"
    return status


def build_summary(
    config: StatusPageConfig,
    components: Sequence[str],
    incidents: Sequence[PublicIncident],
    maintenance: Sequence[Maintenance],
    now: datetime,
    page_url: str,
) -> dict[str, Any]:
    """The `summary.json` document: page, status, components, incidents, maintenances."""
    shown = [
        _component(config, c, p, incidents, maintenance, now) for p, c in enumerate(components)
    ]
    indicator = INDICATOR[worst_of(c["status"] for c in shown)]
    names = {c["id"]: c["name"] for c in shown}
    return {
        "page": {
            "id": "tripwire",
            "name": config.name,
            "url": config.url or page_url,
            "time_zone": config.time_zone,
            "updated_at": isoformat_z(now),
        },
        "status": {"indicator": indicator, "description": DESCRIPTION[indicator]},
        "components": shown,
        "incidents": [incident_json(i, names) for i in incidents],
        "scheduled_maintenances": [
            _maintenance(m, names, now) for m in maintenance if m.state(now) != "completed"
        ],
    }


def _component(
    config: StatusPageConfig,
    key: str,
    position: int,
    incidents: Sequence[PublicIncident],
    maintenance: Sequence[Maintenance],
    now: datetime,
) -> dict[str, Any]:
    spec = config.components.get(key)
    return {
        "id": key,
        "name": display_name(config, key),
        "status": current_status(key, incidents, maintenance, now),
        "position": position + 1,
        "description": spec.description if spec else None,
        "group_id": spec.group if spec else None,
        "only_show_if_degraded": False,
        "created_at": None,
        "updated_at": isoformat_z(now),
    }


def _hidden(config: StatusPageConfig, name: str) -> bool:
    spec = config.components.get(name)
    return bool(spec and spec.hidden)


def _affected(keys: Iterable[str], names: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"id": k, "name": names[k]} for k in keys if k in names]


def incident_json(incident: PublicIncident, names: Mapping[str, str]) -> dict[str, Any]:
    """One incident with every update, newest first (Statuspage's order)."""
    touched = list(dict.fromkeys(k for u in incident.updates for k in u.components))
    affected = _affected(touched or incident.components, names)
    updates = [
        {
            "id": u.id,
            "incident_id": incident.id,
            "status": u.status,
            "body": u.body,
            "created_at": isoformat_z(u.at),
            "updated_at": isoformat_z(u.at),
            "display_at": isoformat_z(u.at),
            "affected_components": [
                {"code": k, "name": names[k], "new_status": v}
                for k, v in u.components.items()
                if k in names
            ],
        }
        for u in reversed(incident.updates)
    ]
    return {
        "id": incident.id,
        "name": incident.title,
        "status": incident.status,
        "impact": incident.impact,
        "created_at": isoformat_z(incident.created_at),
        "updated_at": isoformat_z(incident.updated_at),
        "resolved_at": isoformat_z(incident.resolved_at) if incident.resolved_at else None,
        "shortlink": None,
        "incident_updates": updates,
        "components": affected,
    }


def _maintenance(m: Maintenance, names: Mapping[str, str], now: datetime) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.title,
        "status": m.state(now),
        "impact": "maintenance",
        "scheduled_for": isoformat_z(m.starts_at),
        "scheduled_until": isoformat_z(m.ends_at),
        "incident_updates": [
            {
                "id": f"{m.id}-1",
                "status": "scheduled",
                "body": m.body,
                "display_at": isoformat_z(m.starts_at),
            }
        ],
        "components": _affected(m.components, names),
    }
