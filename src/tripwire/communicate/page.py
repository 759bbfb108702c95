"""Assemble the status page from the store (used by the API's JSON and the web page)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.communicate.drafts import Draft, DraftFacts, Kind, draft
from tripwire.communicate.queries import recent_incidents, use_cases
from tripwire.communicate.statuspage import build_summary
from tripwire.config.communicate import CommunicateConfig, StatusPageConfig
from tripwire.domain.clock import Clock
from tripwire.respond.queries import get_incident

RESOLVED_WINDOW = timedelta(days=1)


def status_summary(
    session: Session, config: StatusPageConfig, clock: Clock, public_url: str
) -> dict[str, Any]:
    """`summary.json`: unresolved public incidents and those resolved in the last 24 hours."""
    now = clock.now()
    return build_summary(
        config,
        use_cases(session),
        recent_incidents(session, now, RESOLVED_WINDOW),
        now,
        public_url.rstrip("/") + "/status",
    )


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
