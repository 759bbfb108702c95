"""Heavy-tail calibration for the generic series detector: a residual is only as surprising as
it is rare among this series' own recent residuals, never more surprising than a Gaussian
would make it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

LOW = 3.0  # below this |z| never scores as a spike, so it need not be counted
RATIO = 1.12  # bins 12 % wide: 60 of them reach |z| ~ 2,700
BINS = 60
DECAY = 0.9995  # about the last two thousand residuals


@dataclass
class Tail:
    """Decayed counts of |z| over log-spaced bins. Decay is applied by letting the weight of
    new residuals grow instead of shrinking every bin each row (rescaled now and then)."""

    counts: list[float] = field(default_factory=lambda: [0.0] * BINS)
    total: float = 0.0
    weight: float = 1.0

    def dump(self) -> dict[str, Any]:
        return {"counts": list(self.counts), "total": self.total, "weight": self.weight}

    def load(self, data: dict[str, Any]) -> None:
        self.counts = [float(x) for x in data["counts"]]
        self.total, self.weight = float(data["total"]), float(data["weight"])

    def equivalent(self, z: float) -> float:
        """The Gaussian |z| with the two-sided tail probability that |z| has here: |z| itself
        when it is rarer in this series than in a Gaussian one, less when this series is
        heavy-tailed. The largest recent excursion is discounted, so one past outlier does
        not excuse the next."""
        size = abs(z)
        if size < LOW or self.total <= 0:
            return size
        above = sum(self.counts[_bin(size) + 1 :]) - self.weight
        if above <= 0:
            return size
        p = above / self.total
        if p <= math.erfc(size / math.sqrt(2.0)):
            return size
        lo, hi = 0.0, size
        for _ in range(24):  # bisection: erfc is monotone, and this path is rare
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if math.erfc(mid / math.sqrt(2.0)) > p else (lo, mid)
        return lo

    def learn(self, z: float) -> None:
        self.weight /= DECAY
        self.total += self.weight
        if abs(z) >= LOW:
            self.counts[_bin(abs(z))] += self.weight
        if self.weight > 1e6:  # keep the numbers small; ratios are unchanged
            self.counts = [c / self.weight for c in self.counts]
            self.total /= self.weight
            self.weight = 1.0


def _bin(size: float) -> int:
    return min(BINS - 1, int(math.log(size / LOW) / math.log(RATIO)))
