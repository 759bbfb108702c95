"""The `monitors:` section of tripwire.yaml: what detection watches and how eagerly.

With no section at all, every use case gets the built-in monitors of docs/detect.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tripwire.domain.incidents import IncidentType, Severity

SignalKind = Literal[
    "negative_feedback",
    "safety_trigger",
    "error_rate",
    "latency_p95",
    "score_mean",
    "ticket_topic",
    "metric",
]
Sensitivity = Literal["low", "normal", "high"]
SegmentKey = Literal["model", "model_version", "prompt_version"]
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:*-]+$")]


def _default_segments() -> list[SegmentKey]:
    return ["model_version", "prompt_version"]


class SeverityInputs(BaseModel):
    """Relative change (magnitude) from which an alert suggests each severity; respond decides."""

    model_config = ConfigDict(extra="forbid")

    P0: float = Field(4.0, gt=0)
    P1: float = Field(1.0, gt=0)
    P2: float = Field(0.3, gt=0)


class MonitorSpec(BaseModel):
    """One monitor. `use_cases: ["*"]` applies it to every use case seen."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    signal: SignalKind
    incident_type: IncidentType
    use_cases: list[Name] = Field(default_factory=lambda: ["*"], min_length=1)
    score: Name | None = None
    topic: Name | None = None
    metric: Name | None = None
    segment_keys: list[SegmentKey] = Field(default_factory=_default_segments)
    min_volume: float = Field(20, ge=1, description="trials (or scores) behind any alert")
    min_events: float = Field(5, ge=1, description="bad events behind a rate alert")
    sensitivity: Sensitivity | None = None
    severity: SeverityInputs = Field(default_factory=SeverityInputs)
    slo_target: float | None = Field(
        None, gt=0.5, lt=1.0, description="error_rate: SLO for burn-rate alerts (0.99)"
    )
    cooldown_minutes: int | None = Field(
        None, ge=0, le=1440, description="recovery sustained this long clears an alert"
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _needs(self) -> MonitorSpec:
        needed = {"score_mean": "score", "ticket_topic": "topic", "metric": "metric"}
        field = needed.get(self.signal)
        if field is not None and getattr(self, field) is None:
            raise ValueError(f"signal {self.signal} needs `{field}`")
        return self


class MaintenanceWindow(BaseModel):
    """No alerts are raised inside the window (detectors keep learning nothing from it)."""

    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime
    end: AwareDatetime
    use_case: Name | None = None
    reason: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    def covers(self, when: datetime, use_case: str | None) -> bool:
        inside = self.start <= when < self.end
        return inside and (self.use_case is None or self.use_case == use_case)


class MonitorsConfig(BaseModel):
    """`defaults: false` drops the built-in monitors; `items` with a built-in's name replace it."""

    model_config = ConfigDict(extra="forbid")

    defaults: bool = True
    sensitivity: Sensitivity = "normal"
    items: list[MonitorSpec] = Field(default_factory=list)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    max_segments: int = Field(20, ge=0, le=1000, description="per use case and segment key")
    cooldown: dict[SignalKind, int] = Field(
        default_factory=dict,
        description="minutes of sustained recovery before an alert clears, per monitor kind "
        "(defaults: DEFAULT_COOLDOWN); a monitor's own `cooldown_minutes` wins",
    )
    false_alarm_budget: float = Field(
        1.0,
        gt=0,
        le=100,
        description="false incidents per use case per 30 days, shared by all of its monitors, "
        "segments and score sources",
    )
    allowed_lateness_minutes: int = Field(
        5,
        ge=0,
        le=60,
        description="serve: a minute's window closes this long after it ends (wall clock); "
        "events later than that count in the minute they arrive in, as late",
    )

    @model_validator(mode="after")
    def _unique(self) -> MonitorsConfig:
        names = [m.name for m in self.items]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"monitor names must be unique: {', '.join(dupes)}")
        return self


# Series the detect stage derives from outputs (token counts priced by `costs:`), watched by
# the built-in `metric` monitors below; `tripwire:` names are reserved for them.
TOKENS_PER_OUTPUT = "tripwire:output_tokens"
COST_PER_HOUR = "tripwire:cost_per_hour"


def builtin_monitors() -> list[MonitorSpec]:
    """What every use case gets with no configuration (docs/detect.md), plus tokens per
    output (a prompt change that triples answers opens a quality regression) and cost per hour
    (a runaway loop; availability, like any other runaway use of the provider)."""
    specs: list[tuple[str, SignalKind, IncidentType, dict[str, str]]] = [
        ("negative-feedback", "negative_feedback", "quality_regression", {}),
        ("safety-triggers", "safety_trigger", "safety", {}),
        ("quality-score", "score_mean", "quality_regression", {"score": "quality"}),
        ("groundedness-score", "score_mean", "hallucination", {"score": "groundedness"}),
        ("tickets-wrong-answer", "ticket_topic", "hallucination", {"topic": "wrong_answer"}),
        ("tickets-inappropriate", "ticket_topic", "safety", {"topic": "inappropriate_response"}),
        ("tickets-ai-quality", "ticket_topic", "quality_regression", {"topic": "ai_quality_other"}),
        ("errors", "error_rate", "availability", {}),
        ("latency-p95", "latency_p95", "availability", {}),
        ("tokens-per-output", "metric", "quality_regression", {"metric": TOKENS_PER_OUTPUT}),
        ("cost-per-hour", "metric", "availability", {"metric": COST_PER_HOUR}),
    ]
    return [
        MonitorSpec.model_validate(
            {"name": n, "signal": s, "incident_type": t, **extra}
            | ({"slo_target": 0.99} if s == "error_rate" else {})
        )
        for n, s, t, extra in specs
    ]


# Minutes a recovery must hold before an alert clears. Score means are sparse (tens of scores
# an hour) and wobble back across the line by chance, so they wait longer than rates.
DEFAULT_COOLDOWN: dict[SignalKind, int] = {
    "negative_feedback": 15,
    "safety_trigger": 15,
    "error_rate": 15,
    "latency_p95": 15,
    "score_mean": 30,
    "ticket_topic": 60,
    "metric": 15,
}


def cooldown_of(config: MonitorsConfig, spec: MonitorSpec) -> int:
    if spec.cooldown_minutes is not None:
        return spec.cooldown_minutes
    return config.cooldown.get(spec.signal, DEFAULT_COOLDOWN[spec.signal])


def effective_monitors(config: MonitorsConfig) -> list[MonitorSpec]:
    """Built-ins (unless disabled), overridden by name, plus the configured ones; each with
    its cool-down resolved."""
    custom = {m.name: m for m in config.items}
    chosen = [custom.pop(m.name, m) for m in builtin_monitors()] if config.defaults else []
    chosen += list(custom.values())
    return [
        m.model_copy(update={"cooldown_minutes": cooldown_of(config, m)})
        for m in chosen
        if m.enabled
    ]


__all__ = [
    "COST_PER_HOUR",
    "DEFAULT_COOLDOWN",
    "TOKENS_PER_OUTPUT",
    "MaintenanceWindow",
    "MonitorSpec",
    "MonitorsConfig",
    "Severity",
    "builtin_monitors",
    "cooldown_of",
    "effective_monitors",
]
