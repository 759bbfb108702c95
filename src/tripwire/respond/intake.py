"""External alerts into Tripwire's Alert: Prometheus Alertmanager (webhook version 4) and
PagerDuty Events API v2 bodies. Pure parsing; ValueError says what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tripwire.domain.alerts import Alert
from tripwire.domain.events import parse_rfc3339
from tripwire.domain.incidents import INCIDENT_TYPES, IncidentType, Severity

PD_ACTIONS = ("trigger", "acknowledge", "resolve")
PD_SEVERITY: dict[str, Severity] = {"critical": "P1", "error": "P2", "warning": "P3", "info": "P3"}
_ZERO = "0001-01-01T00:00:00Z"


def _type(labels: dict[str, Any]) -> IncidentType:
    value = labels.get("tripwire_type")
    return value if value in INCIDENT_TYPES else "availability"


def _when(value: Any, fallback: datetime) -> datetime:
    if not value or value == _ZERO:
        return fallback
    try:
        return parse_rfc3339(value)
    except ValueError:
        return fallback


def _text(value: Any, limit: int = 1000) -> str:
    return str(value)[:limit]


def alertmanager_alerts(body: Any, now: datetime) -> list[Alert]:
    """Alerts from an Alertmanager webhook body; each alert keyed by its fingerprint."""
    if not isinstance(body, dict) or not isinstance(body.get("alerts"), list):
        raise ValueError('expected an Alertmanager webhook body with an "alerts" list')
    if str(body.get("version", "4")) != "4":
        raise ValueError(f"unsupported Alertmanager webhook version {body.get('version')!r}")
    group = _text(body.get("groupKey", ""), 250)
    out: list[Alert] = []
    for index, raw in enumerate(body["alerts"]):
        if not isinstance(raw, dict):
            raise ValueError(f"alerts[{index}] must be an object")
        labels = _mapping(raw.get("labels"))
        notes = _mapping(raw.get("annotations"))
        fingerprint = raw.get("fingerprint") or _fallback_fingerprint(labels)
        state = raw.get("status", body.get("status"))
        if state not in ("firing", "resolved"):
            raise ValueError(f"alerts[{index}].status must be firing or resolved")
        starts = _when(raw.get("startsAt"), now)
        name = _text(labels.get("alertname", "alert"), 200)
        use_case = labels.get("use_case")
        out.append(
            Alert(
                dedup_key=f"am:{_text(fingerprint, 250)}",
                state=state,
                incident_type=_type(labels),
                use_case=_text(use_case, 256) if use_case else None,
                monitor=f"alertmanager:{name}",
                metric=name,
                started_at=starts,
                detected_at=now if state == "firing" else _when(raw.get("endsAt"), now),
                source="alertmanager",
                title=_text(notes.get("summary") or notes.get("description") or name),
                details={
                    "group_key": group,
                    "labels": {str(k): _text(v, 500) for k, v in labels.items()},
                    "generator_url": _text(raw.get("generatorURL", ""), 2000),
                },
            )
        )
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _fallback_fingerprint(labels: dict[str, Any]) -> str:
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


@dataclass(frozen=True, slots=True)
class PagerDutyEvent:
    action: str
    dedup_key: str
    routing_key: str
    alert: Alert | None  # for trigger and resolve


def pagerduty_event(body: Any, now: datetime, new_key: str) -> PagerDutyEvent:
    """A PagerDuty Events v2 body; `new_key` is used when a trigger carries no dedup_key."""
    errors: list[str] = []
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object (PagerDuty Events API v2)")
    action = body.get("event_action")
    if action not in PD_ACTIONS:
        errors.append("event_action must be trigger, acknowledge or resolve")
    routing = body.get("routing_key")
    if not isinstance(routing, str) or not routing:
        errors.append("routing_key is required")
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not 0 < len(dedup) <= 255):
        errors.append("dedup_key must be a string of 1..255 characters")
    if action != "trigger" and not dedup:
        errors.append("dedup_key is required to acknowledge or resolve")
    payload = body.get("payload")
    if action == "trigger":
        errors += _trigger_problems(payload)
    if errors:
        raise ValueError("; ".join(errors))
    key = str(dedup or new_key)
    alert = None
    if action in ("trigger", "resolve"):
        alert = _pd_alert(action, key, payload if isinstance(payload, dict) else {}, now)
    return PagerDutyEvent(str(action), key, str(routing), alert)


def _trigger_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["payload is required to trigger"]
    problems = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not 0 < len(summary) <= 1024:
        problems.append("payload.summary must be a string of 1..1024 characters")
    if not isinstance(payload.get("source"), str) or not payload["source"]:
        problems.append("payload.source is required")
    if payload.get("severity") not in PD_SEVERITY:
        problems.append("payload.severity must be critical, error, warning or info")
    return problems


def _pd_alert(action: str, key: str, payload: dict[str, Any], now: datetime) -> Alert:
    details = payload.get("custom_details")
    details = details if isinstance(details, dict) else {}
    use_case = details.get("use_case")
    started = _when(payload.get("timestamp"), now)
    return Alert(
        dedup_key=f"pd:{key}",
        state="firing" if action == "trigger" else "resolved",
        incident_type=_type(details),
        use_case=_text(use_case, 256) if use_case else None,
        monitor=f"pagerduty:{_text(payload.get('source', 'unknown'), 200)}",
        metric=_text(payload.get("class") or payload.get("component") or "event", 200),
        started_at=min(started, now),
        detected_at=now,
        source="pagerduty",
        title=_text(payload.get("summary", "PagerDuty event")),
        severity_hint=PD_SEVERITY.get(str(payload.get("severity"))),
        details={"group_key": _text(payload.get("group", ""), 250) or None},
    )
