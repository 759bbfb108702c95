"""Assemble the status page from the store (used by the API's JSON and the web page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.communicate.drafts import Draft, DraftFacts, Kind, draft
from tripwire.communicate.history import ComponentHistory, history
from tripwire.communicate.queries import maintenance, public_incidents, use_cases
from tripwire.communicate.statuspage import (
    PublicIncident,
    build_summary,
    component_ids,
    display_name,
    incident_json,
)
from tripwire.config.communicate import CommunicateConfig, StatusPageConfig
from tripwire.domain.clock import Clock
from tripwire.respond.queries import get_incident

RESOLVED_WINDOW = timedelta(days=1)
MAINTENANCE_HORIZON = timedelta(days=30)


def status_summary(
    session: Session, config: StatusPageConfig, clock: Clock, public_url: str
) -> dict[str, Any]:
    """`summary.json`: unresolved published incidents and those resolved in the last 24 hours,
    maintenance in progress or scheduled within 30 days."""
    now = clock.now()
    return build_summary(
        config,
        component_ids(config, use_cases(session)),
        public_incidents(session, now - RESOLVED_WINDOW),
        maintenance(session, now, MAINTENANCE_HORIZON),
        now,
        public_url.rstrip("/") + "/status",
    )


@dataclass(frozen=True, slots=True)
class PageView:
    """Everything `/status` shows: the summary, uptime bars and past incidents."""

    summary: dict[str, Any]
    history: list[tuple[dict[str, Any], ComponentHistory]]
    past: list[dict[str, Any]]


def status_page(
    session: Session, config: StatusPageConfig, clock: Clock, public_url: str
) -> PageView:
    """One read of the window's incidents feeds the summary, the bars and the history."""
    now = clock.now()
    window = public_incidents(session, now - timedelta(days=config.history_days))
    current = [i for i in window if i.resolved_at is None or i.resolved_at >= now - RESOLVED_WINDOW]
    summary = build_summary(
        config,
        component_ids(config, use_cases(session)),
        current,
        maintenance(session, now, MAINTENANCE_HORIZON),
        now,
        public_url.rstrip("/") + "/status",
    )
    touching: dict[str, list[PublicIncident]] = {}
    for incident in window:
        for key in {k for u in incident.updates for k in u.components}:
            touching.setdefault(key, []).append(incident)
    bars = [
        (c, history(c["id"], touching.get(c["id"], []), now, config.history_days))
        for c in summary["components"]
    ]
    names = {c["id"]: display_name(config, c["id"]) for c in summary["components"]}
    shown = {i["id"] for i in summary["incidents"]}
    past = [incident_json(i, names) for i in _resolved(window) if i.id not in shown]
    return PageView(summary, bars, past)


def _resolved(incidents: list[PublicIncident]) -> list[PublicIncident]:
    return sorted((i for i in incidents if i.resolved_at), key=lambda i: i.created_at, reverse=True)


def draft_for(session: Session, config: CommunicateConfig, ident: str, kind: Kind) -> Draft | None:
    """A user-communication draft for incident `ident`, or None when there is no such incident."""
    incident = get_incident(session, ident)
    if incident is None:
        return None
    spec = config.status_page.components.get(incident.use_case or "")
    feature = (spec.name if spec and spec.name else None) or incident.use_case or "our product"
    facts = DraftFacts(
        type=incident.type,
        use_case=incident.use_case,
        feature_name=feature,
        started_at=incident.started_at,
        ended_at=incident.mitigated_at or incident.resolved_at,
        exposed_users=incident.exposed_users,
        exposed_outputs=incident.exposed_outputs,
    )
    return draft(facts, kind)
