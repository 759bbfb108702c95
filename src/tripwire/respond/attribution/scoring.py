"""Scoring a change as the cause of an incident. Pure functions, no I/O.

A change's score multiplies three factors:
- evidence: is the degradation in the outputs that carry the change's new version, compared
  with outputs on the previous version in the same hours? (the strongest factor);
- timing: how close before the estimated onset it landed;
- scope: the incident's own use case, or a global change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tripwire.respond.attribution.metrics import MetricSpec

ONSET_TOLERANCE = timedelta(minutes=30)  # onset estimates wobble; a change just after still counts
TIMING_SCALE = timedelta(hours=12)
MIN_SEGMENT = 5
MIN_SCORE = 0.12
# Without a version to split by, only timing and scope speak for a change.
NEUTRAL_EVIDENCE = 0.5
# A before/after comparison on one version is confounded by whatever else changed: cap it.
BEFORE_AFTER_CAP = 0.7
OLD_SEGMENT_WEIGHT = 0.5
DIMENSIONS = ("prompt_version", "model_version", "model")
DIMENSION_LABEL = {"prompt_version": "prompt", "model_version": "model version", "model": "model"}


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """One deployment-log entry as attribution reads it."""

    id: str
    ts: datetime
    kind: str
    version: str
    use_case: str | None = None
    previous_version: str | None = None
    rollback: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """Count, mean and variance of per-output values of one segment."""

    n: int
    mean: float
    var: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats:
        items = list(values)
        n = len(items)
        if n == 0:
            return cls(0, 0.0, 0.0)
        mean = sum(items) / n
        var = sum((v - mean) ** 2 for v in items) / (n - 1) if n > 1 else 0.0
        return cls(n, mean, var)


@dataclass(frozen=True, slots=True)
class Evidence:
    """How strongly the version split points at the change (0..1), and why in words."""

    strength: float
    z: float | None
    sentence: str


def gap_and_se(bad: Stats, good: Stats, higher_is_worse: bool) -> tuple[float, float]:
    """How much worse `bad` is than `good` (negative: better), and the standard error."""
    n = bad.n + good.n
    pooled_mean = (bad.n * bad.mean + good.n * good.mean) / n
    within = (bad.n - 1) * bad.var + (good.n - 1) * good.var
    between = bad.n * (bad.mean - pooled_mean) ** 2 + good.n * (good.mean - pooled_mean) ** 2
    # Pooled variance of the combined sample (Bernoulli rates: about p(1-p)), floored so that
    # a segment of identical values cannot produce an infinite certainty.
    var = max((within + between) / max(n - 1, 1), 1e-4 * max(abs(pooled_mean), 1.0) ** 2)
    se = math.sqrt(var * (1 / bad.n + 1 / good.n))
    diff = bad.mean - good.mean if higher_is_worse else good.mean - bad.mean
    return diff, se


def culprit_probability(gap: float, se: float, expected: float) -> tuple[float, float, float]:
    """How strongly a gap of `gap` (standard error `se`) points at the change, 0..1.

    A likelihood ratio with even prior odds: "this segment carries the incident", where the
    gap is about `expected` (give or take half of it, since `expected` is itself estimated),
    against "the segments are alike". A clearly worse segment scores near 1; a segment that is
    not worse scores near 0 only when the outputs were enough to see `expected`; with too few
    outputs to tell, it stays near 0.5, like a change with no version to test.
    Returns (strength, how clearly the segment is worse, the power of the test).
    """
    spread = (0.5 * expected) ** 2
    culprit = _log_normal(gap, expected, se**2 + spread)
    alike = _log_normal(gap, 0.0, se**2)
    log_ratio = max(-30.0, min(30.0, culprit - alike))
    strength = 1.0 / (1.0 + math.exp(-log_ratio))
    positive = 1.0 / (1.0 + math.exp(-2.0 * (gap / se - 1.5)))
    power = 0.5 * (1.0 + math.erf((expected / se - 1.645) / math.sqrt(2.0)))
    return strength, positive, power


def segments_probability(
    spec: MetricSpec, segments: tuple[Stats, Stats, Stats], expected: float, overall: float
) -> float:
    """P(culprit) from where the degradation sits, with even prior odds.

    Two pieces of evidence, as log likelihood ratios: the new segment against the old one in
    the same hours (see culprit_probability), and whether the old segment stayed at the
    baseline (the change is the cause) or got worse like the whole use case (the cause is
    elsewhere). The second is counted at half weight: right at detection, the segments that
    tipped the detector over its line look worse than they are, the old one included.
    """
    new, old, base = segments
    gap, se = gap_and_se(new, old, spec.higher_is_worse)
    by_gap = _logit(culprit_probability(gap, se, expected)[0])
    var = _pooled_var(new, old, base)
    d_old = (old.mean - base.mean) * (1.0 if spec.higher_is_worse else -1.0)
    v_old = var * (1 / old.n + 1 / base.n)
    stayed = _log_normal(d_old, 0.0, v_old) - _log_normal(
        d_old, overall, v_old + (0.5 * overall) ** 2
    )
    log_ratio = max(-30.0, min(30.0, by_gap + OLD_SEGMENT_WEIGHT * stayed))
    return 1.0 / (1.0 + math.exp(-log_ratio))


def _logit(p: float) -> float:
    p = min(max(p, 1e-13), 1 - 1e-13)
    return math.log(p / (1 - p))


def _pooled_var(*parts: Stats) -> float:
    n = sum(p.n for p in parts)
    mean = sum(p.n * p.mean for p in parts) / n
    total = sum((p.n - 1) * p.var + p.n * (p.mean - mean) ** 2 for p in parts if p.n)
    return max(total / max(n - 1, 1), 1e-4 * max(abs(mean), 1.0) ** 2)


def _log_normal(x: float, mean: float, var: float) -> float:
    return -0.5 * math.log(var) - (x - mean) ** 2 / (2.0 * var)


def segment_evidence(
    spec: MetricSpec,
    dimension: str | None,
    change: ChangeFacts,
    segments: tuple[Stats, Stats, Stats],
    expected: float,
    overall: float | None = None,
) -> Evidence:
    """Weigh the new version's outputs against the old version's in the same hours, or, when
    the new version served everything, against all outputs before the change.

    `segments` is (new version, old version, baseline before) as `rank.split` cuts them;
    `expected` is how much worse the new segment would be if it carried the whole incident,
    `overall` how much worse the whole use case got (both segments, if the cause is elsewhere).
    """
    new_after, old_after, before = segments
    if dimension is None or new_after.n < MIN_SEGMENT:
        return Evidence(
            NEUTRAL_EVIDENCE,
            None,
            f"no outputs carry version {change.version} to compare, so only timing and scope "
            "speak for it",
        )
    label = DIMENSION_LABEL[dimension]
    old_name = change.previous_version or "other versions"
    if old_after.n >= MIN_SEGMENT:
        gap, se = gap_and_se(new_after, old_after, spec.higher_is_worse)
        p, positive, power = culprit_probability(gap, se, expected)
        if before.n >= MIN_SEGMENT and overall is not None:
            p = segments_probability(spec, segments, expected, overall)
        verdict = _verdict(positive, power, change.version)
        return Evidence(
            p,
            gap / se,
            _split_sentence(spec, f"{label} {change.version}", old_name, verdict, segments),
        )
    if before.n < MIN_SEGMENT:
        return Evidence(NEUTRAL_EVIDENCE, None, "too few outputs around the change to compare")
    gap, se = gap_and_se(new_after, before, spec.higher_is_worse)
    moved = _moved(spec, before.mean, new_after.mean)
    sentence = (
        f"{spec.label} of outputs with {label} {change.version} {moved} "
        f"{spec.show(before.mean)} before the change to {spec.show(new_after.mean)} "
        f"(n={new_after.n}); no {old_name} outputs ran in the same hours to compare"
    )
    p, _, _ = culprit_probability(gap, se, expected)
    return Evidence(min(p, BEFORE_AFTER_CAP), gap / se, sentence)


def _split_sentence(
    spec: MetricSpec,
    label: str,
    old_name: str,
    verdict: str,
    stats: tuple[Stats, Stats, Stats],
) -> str:
    new_after, old_after, before = stats
    start = spec.show(before.mean) if before.n >= MIN_SEGMENT else None
    new_part = f"{spec.label} of outputs with {label} "
    if start is not None:
        new_part += f"{_moved(spec, before.mean, new_after.mean)} {start} to "
    else:
        new_part += "was "
    new_part += f"{spec.show(new_after.mean)} (n={new_after.n})"
    stayed = before.n >= MIN_SEGMENT and _close(spec, before.mean, old_after.mean)
    old_verb = "stayed at" if stayed else "were at"
    old_part = (
        f"outputs with {old_name} in the same hours {old_verb} "
        f"{spec.show(old_after.mean)} (n={old_after.n})"
    )
    return f"{new_part}; {old_part}{verdict}"


def _verdict(positive: float, power: float, version: str) -> str:
    if positive >= 0.75:
        return ""
    if positive < 0.25 and power >= 0.8:
        return f", so {version} does not explain the incident"
    if power < 0.5:
        return ": too few outputs yet to tell"
    return ": no clear difference yet"


def _moved(spec: MetricSpec, before: float, after: float) -> str:
    if _close(spec, before, after):
        return "went from"
    return "rose from" if after > before else "fell from"


def _close(spec: MetricSpec, a: float, b: float) -> bool:
    scale = max(abs(a), abs(b), 0.05 if spec.kind != "latency" else 50.0)
    return abs(a - b) <= 0.05 * scale


def timing_factor(change_ts: datetime, onset: datetime) -> float:
    """1 for a change at the onset, decaying with the hours before it; small after it."""
    if change_ts > onset + ONSET_TOLERANCE:
        return 0.1
    gap = max(onset - change_ts, timedelta(0))
    return math.exp(-gap / TIMING_SCALE)


def scope_factor(change: ChangeFacts, use_case: str | None) -> float:
    return 1.0 if change.use_case is not None and change.use_case == use_case else 0.85


def combine(evidence: float, timing: float, scope: float) -> float:
    """Evidence dominates; timing scales a score between 40 % and 100 %."""
    return round(evidence * (0.4 + 0.6 * timing) * scope, 4)


def describe_timing(change: ChangeFacts, onset: datetime) -> str:
    gap = onset - change.ts
    minutes = abs(gap.total_seconds()) / 60
    amount = f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    where = "before" if gap >= timedelta(0) else "after"
    versions = (
        f"{change.previous_version} -> {change.version}"
        if change.previous_version
        else change.version
    )
    scope = change.use_case or "all use cases"
    return f"{change.kind} {versions} ({scope}), {amount} {where} the estimated onset"
