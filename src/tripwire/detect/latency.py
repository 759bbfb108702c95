"""Latency p95: "p95 rose" is tested as "more requests than 5 % are slower than the baseline
p95", a rate, so the same volume-aware CUSUM applies. Latencies are kept in log-spaced bins
(5 % wide), per window and in a decayed baseline histogram of fixed size."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tripwire.detect.baseline import MODEL_ERROR, decay_for
from tripwire.detect.change import Change
from tripwire.detect.rate import RateDetector, RateParams

STEP = math.log(1.05)
BINS = 320  # 1 ms .. about 6e6 ms
# The share of requests slower than a fixed cut magnifies a drift of typical latency: around a
# p95 cut of log-normal latencies a 3 % slower day moves that share by ~18 % (sigma 0.35) to
# ~30 % (sigma 0.2, a tight service). Without this caution the p95 monitor raised about one
# false alarm per simulated week; with it none in 12, and x1.5 latency is still caught in minutes.
AMPLIFICATION = 10.0


def latency_bin(ms: float) -> int:
    """The histogram bin of one latency (O(1), used on every output)."""
    if ms <= 1.0:
        return 0
    return min(BINS - 1, int(math.log(ms) / STEP))


def bin_value(index: int) -> float:
    return math.exp((index + 0.5) * STEP)


def quantile(hist: dict[int, float], q: float) -> float | None:
    total = sum(hist.values())
    if total <= 0:
        return None
    target, seen = q * total, 0.0
    for index in sorted(hist):
        seen += hist[index]
        if seen >= target:
            return bin_value(index)
    return bin_value(max(hist))


@dataclass
class LatencyDetector:
    """`update(minute, hist)` with the window's {bin: count}; reports p95 in milliseconds.

    The cut (the baseline p95) is fixed once enough history exists, so "slower than the cut" is
    a stable rate with its own seasonal baseline; it is re-cut only when that rate drifts far
    from 5 % (a new normal), which restarts the rate's warm-up."""

    params: RateParams = field(default_factory=lambda: RateParams(ratios=(3.0, 6.0, 12.0)))
    half_life: float = 2 * 1440
    base: dict[int, float] = field(default_factory=dict)
    hour: dict[int, float] = field(default_factory=dict)
    cut: int | None = None
    minutes: int = 0
    rate: RateDetector = field(init=False)
    recent: list[tuple[int, dict[int, float]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rate = self._new_rate()

    def _new_rate(self) -> RateDetector:
        rate = RateDetector(self.params)
        rate.baseline.model_error = MODEL_ERROR * AMPLIFICATION
        return rate

    def update(self, minute: int, hist: dict[int, float]) -> Change | None:
        self.recent = [*self.recent[-59:], (minute, hist)]
        self.minutes += 1
        if self.rate.firing is None and self.rate.bank.peak() < 0.5:
            for b, c in hist.items():
                self.hour[b] = self.hour.get(b, 0.0) + c
        if self.minutes % 60 == 0:
            self._fold()
        if self.cut is None:
            if self.minutes >= 1440 and sum(self.base.values()) >= 1000:
                self.cut = _quantile_bin(self.base, 0.95)
            return None
        cut = self.cut
        n = float(sum(hist.values()))
        k = float(sum(c for b, c in hist.items() if b > cut))
        change = self.rate.update(minute, n, k)
        if change is None:
            self._maybe_recut()
            return None
        baseline = bin_value(cut)
        observed = self.observed(change.started_at) or baseline
        return Change(
            change.state,
            change.started_at,
            change.detected_at,
            baseline,
            observed,
            observed / baseline - 1.0,
            change.rule,  # a confirmation reaches respond as one: it lifts the hold
            change.events,  # the slow requests the alert counted
            change.confirm_in,
        )

    def _fold(self) -> None:
        d = decay_for(self.half_life / 60.0)
        self.base = {b: c * d for b, c in self.base.items() if c * d > 1e-3}
        for b, c in self.hour.items():
            self.base[b] = self.base.get(b, 0.0) + c
        self.hour = {}

    def _maybe_recut(self) -> None:
        if self.rate.firing is not None or not self.rate.ready():
            return
        level = self.rate.baseline.overall()
        if 0.01 <= level <= 0.2:
            return
        self.cut = _quantile_bin(self.base, 0.95)
        self.rate = self._new_rate()

    def observed(self, since: int) -> float | None:
        """p95 of the windows since `since` (the last hour at most)."""
        merged: dict[int, float] = {}
        windows = [h for m, h in self.recent if m >= since] or [self.recent[-1][1]]
        for window in windows:
            for b, c in window.items():
                merged[b] = merged.get(b, 0.0) + c
        return quantile(merged, 0.95)

    def dump(self) -> dict[str, Any]:
        return {
            "base": {str(b): round(c, 4) for b, c in self.base.items()},
            "hour": {str(b): c for b, c in self.hour.items()},
            "cut": self.cut,
            "m": self.minutes,
            "rate": self.rate.dump(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.base = {int(b): float(c) for b, c in data["base"].items()}
        self.hour = {int(b): float(c) for b, c in data["hour"].items()}
        self.cut = None if data["cut"] is None else int(data["cut"])
        self.minutes = int(data["m"])
        self.rate.load(data["rate"])


def _quantile_bin(hist: dict[int, float], q: float) -> int:
    total = sum(hist.values())
    target, seen = q * total, 0.0
    for index in sorted(hist):
        seen += hist[index]
        if seen >= target:
            return index
    return max(hist)
