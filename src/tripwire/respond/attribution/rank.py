"""Rank the deployment log for an incident (`suspects` in docs/attribution.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.respond.attribution.metrics import MetricSpec, choose_metric
from tripwire.respond.attribution.query import Observation, load_changes, load_observations
from tripwire.respond.attribution.scoring import (
    DIMENSIONS,
    MIN_SCORE,
    MIN_SEGMENT,
    ONSET_TOLERANCE,
    ChangeFacts,
    Stats,
    combine,
    describe_timing,
    scope_factor,
    segment_evidence,
    timing_factor,
)

LOOKBACK = timedelta(hours=72)
BEFORE_WINDOW = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Suspect:
    """A change and how likely it caused the incident (0..1), with a checkable reason."""

    change: ChangeFacts
    score: float
    why: str

    def as_json(self) -> dict[str, Any]:
        return {
            "change_id": self.change.id,
            "kind": self.change.kind,
            "score": self.score,
            "why": self.why,
        }


@dataclass(frozen=True, slots=True)
class IncidentWindow:
    """What attribution needs to know about an incident."""

    type: str
    use_case: str | None
    started_at: datetime
    detected_at: datetime
    signal_metrics: Sequence[str] = ()


def rank_suspects(session: Session, incident: IncidentWindow, now: datetime) -> list[Suspect]:
    """Changes of the incident's use case (or global ones) from 72 h before the onset up to
    its detection, best first; changes the evidence clears are left out."""
    changes = load_changes(
        session, incident.use_case, incident.started_at - LOOKBACK, incident.detected_at
    )
    if not changes:
        return []
    spec = choose_metric(incident.type, list(incident.signal_metrics))
    start = min(c.ts for c in changes) - BEFORE_WINDOW
    observations = load_observations(session, incident.use_case, spec, start, now)
    overall = incident_gap(spec, observations, incident.started_at, now)
    suspects = [judge(c, incident, spec, observations, now, overall) for c in changes]
    kept = [s for s in suspects if s.score >= MIN_SCORE]
    return sorted(kept, key=lambda s: (-s.score, -s.change.ts.timestamp()))


def judge(
    change: ChangeFacts,
    incident: IncidentWindow,
    spec: MetricSpec,
    observations: Sequence[Observation],
    now: datetime,
    overall: float,
) -> Suspect:
    """Score one change; `overall` is how much worse the whole use case got at the onset."""
    dimension = pick_dimension(change, observations)
    segments = split(change, dimension, observations, now, incident.started_at)
    share = version_share(change, dimension, observations, incident.started_at, now)
    expected = min(overall / max(share, 0.05), 5 * overall)
    evidence = segment_evidence(spec, dimension, change, segments, expected, overall)
    timing = timing_factor(change.ts, incident.started_at)
    score = combine(evidence.strength, timing, scope_factor(change, incident.use_case))
    why = f"{describe_timing(change, incident.started_at)}: {evidence.sentence}"
    return Suspect(change, score, why)


def incident_gap(
    spec: MetricSpec, observations: Sequence[Observation], onset: datetime, now: datetime
) -> float:
    """How much worse the metric got after the onset than in the hours before it (floored at a
    quarter of a standard deviation, so an unclear incident still gives a test to run)."""
    before = Stats.of(o.value for o in observations if onset - BEFORE_WINDOW <= o.ts < onset)
    after = Stats.of(o.value for o in observations if onset <= o.ts <= now)
    floor = 0.25 * math.sqrt(before.var) if before.n > 1 else 0.02
    floor = max(floor, 0.02 if spec.kind != "latency" else 10.0)
    if before.n < MIN_SEGMENT or after.n < MIN_SEGMENT:
        return floor
    gap = after.mean - before.mean if spec.higher_is_worse else before.mean - after.mean
    return max(gap, floor)


def version_share(
    change: ChangeFacts,
    dimension: str | None,
    observations: Sequence[Observation],
    onset: datetime,
    now: datetime,
) -> float:
    """The share of outputs since the onset that carry the change's new version."""
    if dimension is None:
        return 1.0
    index = DIMENSIONS.index(dimension)
    since = [o for o in observations if onset <= o.ts <= now]
    if not since:
        return 1.0
    return sum(1 for o in since if o.dims[index] == change.version) / len(since)


def pick_dimension(change: ChangeFacts, observations: Sequence[Observation]) -> str | None:
    """The output field that carries this change's version: a prompt change's new version is
    a `prompt_version`, a model update's a `model_version` (or `model`)."""
    preferred = {
        "prompt_change": ["prompt_version"],
        "model_update": ["model_version", "model"],
    }.get(change.kind, [])
    order = preferred + [d for d in DIMENSIONS if d not in preferred]
    for name in order:
        index = DIMENSIONS.index(name)
        if any(o.dims[index] == change.version for o in observations if o.ts >= change.ts):
            return name
    return None


def split(
    change: ChangeFacts,
    dimension: str | None,
    observations: Sequence[Observation],
    now: datetime,
    onset: datetime,
) -> tuple[Stats, Stats, Stats]:
    """(new version, old version, baseline) for the comparison that fits the rollout.

    Partial rollout: new- and old-version outputs since the trouble began (the change, or
    shortly before the onset when the change is older), and all outputs in the hours before
    that. Full rollout (no old version left to compare with): the new version's outputs since
    the change against all outputs before it; for a change that landed well before the onset
    only its outputs before the onset count, since a change that ran for hours without harm is
    judged on those hours, not on a degradation that began later.
    """
    empty = Stats(0, 0.0, 0.0)
    if dimension is None:
        return empty, empty, empty
    index = DIMENSIONS.index(dimension)
    since = max(change.ts, onset - ONSET_TOLERANCE)
    window = [o for o in observations if since <= o.ts <= now]
    new = [o.value for o in window if o.dims[index] == change.version]
    if change.previous_version is not None:
        old = [o.value for o in window if o.dims[index] == change.previous_version]
    else:
        old = [o.value for o in window if o.dims[index] not in (change.version, None)]
    if len(old) >= MIN_SEGMENT:
        base = Stats.of(o.value for o in observations if since - BEFORE_WINDOW <= o.ts < since)
        return Stats.of(new), Stats.of(old), base
    until = now if change.ts >= onset - ONSET_TOLERANCE else onset - ONSET_TOLERANCE
    new = [
        o.value
        for o in observations
        if change.ts <= o.ts <= until and o.dims[index] == change.version
    ]
    lo = change.ts - BEFORE_WINDOW
    before = Stats.of(o.value for o in observations if lo <= o.ts < change.ts)
    return Stats.of(new), Stats.of(old), before
