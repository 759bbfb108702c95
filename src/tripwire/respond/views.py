"""Incidents as JSON: the docs/api.md summary, and the full detail for GET /v1/incidents/{id}."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.respond import queries
from tripwire.respond.acks import acks_json, notices_json
from tripwire.respond.ids import incident_id
from tripwire.store.tables.respond import IncidentRow, SignalRow

UPDATE_KINDS = ("update",)
EVIDENCE_KINDS = ("evidence",)


def _z(when: datetime | None) -> str | None:
    return None if when is None else isoformat_z(when)


def signal_json(signal: SignalRow) -> dict[str, Any]:
    return {
        "monitor": signal.monitor,
        "metric": signal.metric,
        "baseline": signal.baseline,
        "observed": signal.observed,
        "magnitude": signal.magnitude,
        "type": signal.type,
        "source": signal.source,
        "dedup_key": signal.dedup_key,
        "state": signal.state,
        "segment": signal.segment,
        "started_at": _z(signal.started_at),
        "detected_at": _z(signal.detected_at),
        "resolved_at": _z(signal.resolved_at),
        # When its detector saw it grow past its own level while firing (detect/rate.py).
        "grew_at": list((signal.details or {}).get("grew_at", [])),
    }


def summary_json(session: Session, incident: IncidentRow) -> dict[str, Any]:
    """The docs/api.md object, plus the other timestamps and the version."""
    return {
        "id": incident_id(incident.number),
        "type": incident.type,
        "type_reason": incident.type_reason,
        "severity": incident.severity,
        "status": incident.status,
        "use_case": incident.use_case,
        "title": incident.title,
        "started_at": _z(incident.started_at),
        "detected_at": _z(incident.detected_at),
        "acknowledged_at": _z(incident.acknowledged_at),
        "mitigated_at": _z(incident.mitigated_at),
        "resolved_at": _z(incident.resolved_at),
        "closed_at": _z(incident.closed_at),
        "version": incident.version,
        "signals": [signal_json(s) for s in queries.signals(session, incident.number)],
        # Filled by change attribution (respond/attribution) through IncidentService.set_suspects.
        "suspects": list(incident.suspects or []),
    }


def detail_json(session: Session, incident: IncidentRow) -> dict[str, Any]:
    """Everything: the summary, severity reasons, exposure, roles, tasks, deadlines, timeline,
    updates and evidence."""
    entries = queries.timeline(session, incident.number)
    timeline = [
        {
            "at": _z(e.at),
            "kind": e.kind,
            "actor": e.actor,
            "text": e.text,
            "data": e.data,
            "version": e.version,
        }
        for e in entries
    ]
    return {
        **summary_json(session, incident),
        "source": incident.source,
        "severity_reasons": list(incident.severity_reasons or []),
        "exposed": {"users": incident.exposed_users, "outputs": incident.exposed_outputs},
        "review_done": incident.review_done,
        "escalation": {
            "policy": incident.policy,
            "level": incident.escalation_level + 1,
            "round": incident.escalation_round + 1,
            "next_at": _z(incident.next_escalation_at),
        },
        "roles": {r.role: r.person for r in queries.roles(session, incident.number)},
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "status": t.status,
                "role": t.role,
                "assignee": t.assignee,
                "source": t.source,
                "due_at": _z(t.due_at),
                "done_at": _z(t.done_at),
                "data": t.data,
            }
            for t in queries.tasks(session, incident.number)
        ],
        "deadlines": [
            {
                "name": d.name,
                "due_at": _z(d.due_at),
                "met_at": _z(d.met_at),
                "missed_at": _z(d.missed_at),
                "page_role": d.page_role,
            }
            for d in queries.deadlines(session, incident.number)
        ],
        "acknowledgements": acks_json(session, incident.number),
        "notices": notices_json(session, incident.number),
        "timeline": timeline,
        "updates": [t for t in timeline if t["kind"] in UPDATE_KINDS],
        "evidence": [t for t in timeline if t["kind"] in EVIDENCE_KINDS],
    }


def notice_json(incident: IncidentRow, public_url: str) -> dict[str, Any]:
    """The small incident object carried in notifications."""
    ident = incident_id(incident.number)
    return {
        "id": ident,
        "type": incident.type,
        "severity": incident.severity,
        "status": incident.status,
        "use_case": incident.use_case,
        "title": incident.title,
        "started_at": _z(incident.started_at),
        "detected_at": _z(incident.detected_at),
        "version": incident.version,
        "url": f"{public_url.rstrip('/')}/incidents/{ident}",
    }
