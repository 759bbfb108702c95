"""What to simulate: the product's use cases, its traffic, benign confounders and incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from tripwire.domain.incidents import IncidentType

Signal = Literal[
    "negative_feedback",
    "safety",
    "errors",
    "latency",
    "quality",
    "groundedness",
    "tickets_wrong_answer",
    "tickets_inappropriate",
    "tickets_other",
]
Shape = Literal["step", "ramp"]

SIGNAL_TYPES: dict[Signal, IncidentType] = {
    "negative_feedback": "quality_regression",
    "safety": "safety",
    "errors": "availability",
    "latency": "availability",
    "quality": "quality_regression",
    "groundedness": "hallucination",
    "tickets_wrong_answer": "hallucination",
    "tickets_inappropriate": "safety",
    "tickets_other": "quality_regression",
}

# Hard / target / easy sizes of each kind of incident (rates: multiplier, scores: added to mean).
MAGNITUDES: dict[Signal, dict[str, float]] = {
    "negative_feedback": {"hard": 1.3, "target": 1.5, "easy": 2.0},
    "safety": {"hard": 2.0, "target": 3.0, "easy": 10.0},
    "errors": {"hard": 2.0, "target": 4.0, "easy": 10.0},
    "latency": {"hard": 1.5, "target": 2.0, "easy": 4.0},
    "quality": {"hard": -0.03, "target": -0.05, "easy": -0.1},
    "groundedness": {"hard": -0.03, "target": -0.05, "easy": -0.1},
    "tickets_wrong_answer": {"hard": 2.0, "target": 3.0, "easy": 6.0},
    "tickets_inappropriate": {"hard": 2.0, "target": 3.0, "easy": 6.0},
    "tickets_other": {"hard": 2.0, "target": 3.0, "easy": 6.0},
}

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class UseCase:
    """One AI feature and its healthy behaviour. Rates are per output unless said otherwise."""

    name: str
    share: float = 1.0  # of the scenario's outputs_per_hour
    model: str = "gpt-4o"
    model_version: str = "2026-10-01"
    prompt_version: str = "v1"
    negative_share: float = 0.3  # of feedback that is thumbs-down
    safety_rate: float = 0.01  # triggered checks / checks
    error_rate: float = 0.004
    timeout_rate: float = 0.001
    latency_ms: float = 1200.0  # median; log-normal
    latency_sigma: float = 0.35
    quality_mean: float = 0.8
    groundedness_mean: float = 0.85
    score_sd: float = 0.15
    ticket_rate: float = 0.001  # tickets per output
    # share of tickets by topic (the rest are not_ai)
    ticket_topics: tuple[tuple[str, float], ...] = (
        ("wrong_answer", 0.2),
        ("inappropriate_response", 0.05),
        ("ai_quality_other", 0.15),
        ("availability", 0.1),
    )


@dataclass(frozen=True, slots=True)
class Injection:
    """An incident: `signal` of `use_case` changes at `onset_minute` (minutes after start).

    `magnitude` multiplies a rate (or latency) or is added to a score mean. With `segment`, only
    outputs of that version are affected: a change event moves `segment_share` of the traffic to
    the new version at onset (that change is the incident's cause, with a rollback handle).
    """

    signal: Signal
    use_case: str
    onset_minute: int
    magnitude: float
    shape: Shape = "step"
    ramp_minutes: int = 60
    duration_minutes: int | None = None
    segment: dict[str, str] = field(default_factory=dict)
    segment_share: float = 1.0
    # With `rollback`, the segment's traffic returns to the old version when the incident ends
    # (a product with several segment incidents over weeks rolls each bad version back).
    rollback: bool = False


@dataclass(frozen=True, slots=True)
class Surge:
    """Benign: traffic of `use_case` (None: all) multiplied by `factor`, rates unchanged."""

    start_minute: int
    minutes: int
    factor: float = 3.0
    use_case: str | None = None


@dataclass(frozen=True, slots=True)
class EvaluatorGap:
    """Benign: no scores for `use_case` (None: all) during the gap."""

    start_minute: int
    minutes: int
    use_case: str | None = None


@dataclass(frozen=True, slots=True)
class Deploy:
    """Benign: a new version that behaves like the old one on average. A `data_change` (a
    knowledge-base update) changes no version; `score_sd`, when set, is the spread of the new
    version's scores (a noisy prompt: same mean, wider spread)."""

    minute: int
    use_case: str
    kind: Literal["model_update", "prompt_change", "data_change"] = "prompt_change"
    version: str = "v1.1"
    score_sd: float | None = None


def default_use_cases() -> tuple[UseCase, ...]:
    return (
        UseCase("support-chat", share=0.7),
        UseCase(
            "med-summary",
            share=0.3,
            model="claude-3.5",
            model_version="2026-09-15",
            negative_share=0.2,
            latency_ms=2500.0,
        ),
    )


@dataclass(frozen=True, slots=True)
class Scenario:
    """A simulated week (by default) of an AI product's traffic.

    `outputs_per_hour` is the mean over the week across all use cases; the day has a 3:1
    peak-to-trough cycle (`daily_ratio`) and weekends carry `weekend_factor` of weekday traffic.
    """

    seed: int = 0
    start: datetime = MONDAY
    days: float = 7.0
    outputs_per_hour: float = 2000.0
    use_cases: tuple[UseCase, ...] = field(default_factory=default_use_cases)
    feedback_rate: float = 0.10  # share of outputs that get a rating
    safety_checks: bool = True  # one safety check per output
    scored_per_hour: float = 40.0  # outputs per hour per use case that carry quality scores
    daily_ratio: float = 3.0
    weekend_factor: float = 0.6
    drift_per_day: float = 0.03  # sd of the slow random walk of every healthy rate (relative)
    injections: tuple[Injection, ...] = ()
    surges: tuple[Surge, ...] = ()
    gaps: tuple[EvaluatorGap, ...] = ()
    deploys: tuple[Deploy, ...] = ()
    # Benign slow changes (a provider slowly drifting): applied like injections, usually ramps
    # over days, but not incidents (no truth, listed in `benign`).
    drifts: tuple[Injection, ...] = ()
    id_prefix: str = ""

    @property
    def minutes(self) -> int:
        return round(self.days * 1440)

    def use_case(self, name: str) -> UseCase:
        for uc in self.use_cases:
            if uc.name == name:
                return uc
        raise KeyError(f"no use case {name!r} in the scenario")
