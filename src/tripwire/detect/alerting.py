"""Verdicts become alerts: dedup keys, titles, severity hints, times as datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tripwire.config.monitors import MonitorSpec
from tripwire.detect.engine import Verdict
from tripwire.domain.alerts import Alert
from tripwire.domain.incidents import Severity

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RISING = {"negative_feedback", "safety_trigger", "ticket_topic", "error_rate", "latency_p95"}


def minute_time(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def metric_name(spec: MonitorSpec, source: str) -> str:
    names = {
        "negative_feedback": "negative_feedback_rate",
        "safety_trigger": "safety_trigger_rate",
        "error_rate": "error_rate",
        "latency_p95": "latency_p95_ms",
        "score_mean": f"mean_score:{spec.score}" + (f"@{source}" if source else ""),
        "ticket_topic": f"tickets_per_output:{spec.topic}",
        "metric": f"metric:{spec.metric}",
    }
    return names[spec.signal]


def severity_for(spec: MonitorSpec, magnitude: float) -> Severity:
    size = abs(magnitude)
    if size >= spec.severity.P0:
        return "P0"
    if size >= spec.severity.P1:
        return "P1"
    if size >= spec.severity.P2:
        return "P2"
    return "P3"


def dedup_key(verdict: Verdict) -> str:
    monitor, use_case, source, seg_key, seg_value = verdict.key
    parts = ["detect", monitor, use_case]
    if source:
        parts.append(f"source={source}")
    if seg_key:
        parts.append(f"{seg_key}={seg_value}")
    if verdict.change.rule == "burn_rate":
        parts.append("burn_rate")
    return ":".join(parts)


def to_alert(verdict: Verdict) -> Alert:
    """The hand-over to respond. Segment alerts carry `segment`; all alerts of one use case and
    overlapping time are meant to join one incident (respond groups them). A confirmation
    (`details["confirmed"]`) and a growth (`details["rule"] == "grew"`, detected when it grew)
    repeat the firing alert under the same dedup key."""
    change, spec = verdict.change, verdict.spec
    monitor, use_case, source, seg_key, seg_value = verdict.key
    segment = {seg_key: seg_value} if seg_key else {}
    metric = metric_name(spec, source)
    where = f" ({seg_key} {seg_value})" if seg_key else ""
    if change.rule == "burn_rate":
        what = f"error budget burning {change.observed / max(change.baseline, 1e-12):.0f}x"
    else:
        direction = "up" if spec.signal in RISING or change.observed > change.baseline else "down"
        what = (
            f"{metric} {direction} {abs(change.magnitude):.0%} "
            f"({change.baseline:.4g} -> {change.observed:.4g})"
        )
    return Alert(
        dedup_key=dedup_key(verdict),
        state=change.state,
        incident_type=spec.incident_type,
        use_case=use_case,
        monitor=monitor,
        metric=metric,
        started_at=minute_time(change.started_at),
        detected_at=minute_time(change.detected_at),
        baseline=change.baseline,
        observed=change.observed,
        magnitude=change.magnitude,
        segment=segment,
        source="detector",
        title=f"{use_case}{where}: {what}",
        severity_hint=severity_for(spec, change.magnitude),
        details={
            "rule": change.rule,
            "signal": spec.signal,
            "score_source": source or None,
            "confirmed": change.rule == "confirmed",
            # What a rate's size rests on (respond holds a thin one: docs/detect.md).
            **({} if change.events is None else {"events": change.events}),
            # How soon its detector would confirm it if real (respond may wait that long).
            **({} if change.confirm_in is None else {"confirm_in": round(change.confirm_in, 1)}),
        },
    )
