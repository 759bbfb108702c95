"""Ground truth: what the simulator injected, for tests and benchmarks to score against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tripwire.domain.incidents import IncidentType
from tripwire.sim.scenario import Shape, Signal


@dataclass(frozen=True, slots=True)
class TruthIncident:
    """One injected incident: type, use case, onset, end (None: lasts to the end), segment and
    the id of the change event that caused it (None when no change did, e.g. an attack)."""

    incident_type: IncidentType
    signal: Signal
    use_case: str
    onset: datetime
    end: datetime | None
    shape: Shape
    magnitude: float
    segment: dict[str, str] = field(default_factory=dict)
    change_id: str | None = None


@dataclass(frozen=True, slots=True)
class SimResult:
    """`events`: valid event dicts (docs/events.md) in ts order; `truth`: the injected incidents;
    `benign`: descriptions of the confounders (surges, evaluator gaps, harmless deploys)."""

    events: list[dict[str, Any]]
    truth: list[TruthIncident]
    benign: list[str] = field(default_factory=list)
