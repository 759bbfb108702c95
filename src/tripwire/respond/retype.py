"""Gathering an incident's evidence for the typing rules (respond/classify.py) and applying
their verdict: a type change is logged with its reason, and the hooks add the new type's
playbook steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.domain.alerts import Alert
from tripwire.domain.incidents import IncidentType
from tripwire.respond import queries
from tripwire.respond.classify import BUILTIN_SOURCE, REFUSALS, Clue, Content, Verdict, decide
from tripwire.respond.service import IncidentService
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.respond import IncidentRow, SignalRow

SAMPLE = 500  # newest built-in quality scores read on each side of the onset


def clue_of(type_: str, monitor: str, details: dict[str, Any], magnitude: float | None) -> Clue:
    kind, source = details.get("signal"), details.get("score_source")
    return Clue(
        type_,  # type: ignore[arg-type]
        monitor,
        kind if isinstance(kind, str) else None,
        source if isinstance(source, str) else None,
        abs(magnitude or 0.0),
    )


def alert_clue(alert: Alert) -> Clue:
    return clue_of(alert.incident_type, alert.monitor, alert.details, alert.magnitude)


def signal_clue(signal: SignalRow) -> Clue:
    return clue_of(signal.type, signal.monitor, signal.details or {}, signal.magnitude)


def content(session: Session, use_case: str | None, onset: datetime, now: datetime) -> Content:
    """How many of the outputs scored by the built-in quality evaluator since `onset` (and in
    as long a stretch before it) were refusals, truncated or empty."""
    if use_case is None or now <= onset:
        return Content()
    span = now - onset
    scored, refused = _labels(session, use_case, onset, now)
    before, refused_before = _labels(session, use_case, onset - span, onset)
    return Content(scored, refused, before, refused_before)


def _labels(session: Session, use_case: str, since: datetime, until: datetime) -> tuple[int, int]:
    rows = session.scalars(
        select(EventRow.payload)
        .where(
            EventRow.use_case == use_case,
            EventRow.type == "score",
            EventRow.ts >= since,
            EventRow.ts < until,
        )
        .order_by(EventRow.ts.desc())
        .limit(SAMPLE * 4)  # several evaluators score each output
    )
    labels = [
        str(p.get("label", ""))
        for p in rows
        if p.get("name") == "quality" and str(p.get("source", "")).startswith(BUILTIN_SOURCE)
    ][:SAMPLE]
    return len(labels), sum(1 for label in labels if label in REFUSALS)


def judge(service: IncidentService, incident: IncidentRow) -> Verdict:
    clues = [signal_clue(s) for s in queries.signals(service.session, incident.number)]
    seen = content(service.session, incident.use_case, incident.started_at, service.clock.now())
    return decide(clues, seen, incident.type)  # type: ignore[arg-type]


def revise(service: IncidentService, incident: IncidentRow) -> bool:
    """Re-decide the type from all the evidence; True when it changed."""
    verdict = judge(service, incident)
    if verdict.type == incident.type:
        incident.type_reason = verdict.reason
        return False
    old: IncidentType = incident.type  # type: ignore[assignment]
    incident.type, incident.type_reason = verdict.type, verdict.reason
    service.log(
        incident,
        "type_changed",
        f"Type {old} -> {verdict.type}: {verdict.reason}",
        "tripwire",
        {"from": old, "to": verdict.type, "reason": verdict.reason},
    )
    service.fill_type_roles(incident)
    service.changed(incident, "type", old, verdict.type)
    return True
