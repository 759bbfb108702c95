"""A bank of one-sided CUSUM statistics, one per design shift, with change-point estimates.

Each design accumulates the log-likelihood ratio of "shifted by this much" against "baseline"
and restarts at zero whenever the evidence turns against a change; the last restart is the
estimate of the onset. Several designs cover small-and-slow as well as large-and-sudden changes
(a small design is slow on a big change and vice versa).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Crossing:
    """Design `index` crossed its threshold; the change began at minute `start`."""

    index: int
    start: int
    sums: list[float]


@dataclass
class CusumBank:
    """`step` adds one minute of evidence per design; `sums` accumulate caller-defined totals
    (events, trials, expected) since each design's last restart."""

    thresholds: list[float]
    width: int = 3
    s: list[float] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    sums: list[list[float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.s:
            self.reset()

    def reset(self) -> None:
        count = len(self.thresholds)
        self.s = [0.0] * count
        self.start = [0] * count
        self.sums = [[0.0] * self.width for _ in range(count)]

    def step(self, minute: int, llrs: list[float], totals: list[float]) -> Crossing | None:
        """Add one minute. Returns the design with the largest excess over its threshold."""
        best: Crossing | None = None
        excess = 0.0
        for j, llr in enumerate(llrs):
            value = self.s[j] + llr
            if value <= 0.0:
                self.s[j] = 0.0
                self.sums[j] = [0.0] * self.width
                continue
            if self.s[j] == 0.0:
                self.start[j] = minute
            self.s[j] = value
            acc = self.sums[j]
            for i, t in enumerate(totals):
                acc[i] += t
            over = value - self.thresholds[j]
            if over > excess or (best is None and over >= 0.0):
                excess = over
                best = Crossing(j, self.start[j], list(acc))
        return best

    def peak(self) -> float:
        """Largest statistic relative to its threshold (0 calm, 1 at the alerting line)."""
        return max((v / h for v, h in zip(self.s, self.thresholds, strict=True)), default=0.0)

    def dump(self) -> dict[str, Any]:
        return {"s": self.s, "start": self.start, "sums": self.sums}

    def load(self, data: dict[str, Any]) -> None:
        self.s = [float(x) for x in data["s"]]
        self.start = [int(x) for x in data["start"]]
        self.sums = [[float(y) for y in x] for x in data["sums"]]
