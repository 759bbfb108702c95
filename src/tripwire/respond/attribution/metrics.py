"""Which per-output quantity an incident's signal is about, and how to describe it. No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MetricKind = Literal["score", "feedback", "safety", "error", "latency"]

# What to watch when the incident's signals name nothing that can be split by version.
_TYPE_DEFAULTS: dict[str, tuple[MetricKind, str | None]] = {
    "quality_regression": ("score", "quality"),
    "hallucination": ("score", "groundedness"),
    "safety": ("safety", None),
    "availability": ("error", None),
}


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A per-output quantity: a score (mean), a rate (share of 1s) or latency (mean ms)."""

    kind: MetricKind
    score_name: str | None = None

    @property
    def higher_is_worse(self) -> bool:
        return self.kind != "score"

    @property
    def label(self) -> str:
        return {
            "score": self.score_name or "score",
            "feedback": "negative-feedback rate",
            "safety": "safety-filter trigger rate",
            "error": "error rate",
            "latency": "mean latency",
        }[self.kind]

    def show(self, value: float) -> str:
        if self.kind == "latency":
            return f"{value:.0f} ms"
        if self.kind == "score":
            return f"{value:.2f}"
        return f"{value * 100:.1f}%"


def metric_from_name(metric: str) -> MetricSpec | None:
    """Read a detector's metric name (`score:groundedness`, `negative_feedback_rate`, ...).

    Tickets have no output, so they cannot be split by version: None.
    """
    name = metric.lower()
    if "ticket" in name:
        return None
    for needles, kind in (
        (("feedback", "thumbs", "negative"), "feedback"),
        (("safety", "trigger"), "safety"),
        (("latency", "p95", "duration"), "latency"),
        (("error", "timeout", "availability"), "error"),
    ):
        if any(n in name for n in needles):
            return MetricSpec(kind)  # type: ignore[arg-type]
    score = _score_name(name)
    return MetricSpec("score", score) if score else None


def _score_name(name: str) -> str | None:
    tokens = [t for t in re.split(r"[:/.\s]+", name) if t]
    if not tokens:
        return None
    token = tokens[-1]
    for prefix in ("mean_", "score_", "avg_"):
        token = token.removeprefix(prefix)
    for suffix in ("_mean", "_score", "_avg"):
        token = token.removesuffix(suffix)
    return token or None


def choose_metric(incident_type: str, signal_metrics: list[str]) -> MetricSpec:
    """The first signal that can be split by version, else the incident type's usual one."""
    for metric in signal_metrics:
        spec = metric_from_name(metric)
        if spec is not None:
            return spec
    kind, score = _TYPE_DEFAULTS.get(incident_type, ("feedback", None))
    return MetricSpec(kind, score)
