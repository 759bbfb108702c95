"""Heavy-tail calibration for the generic series detector: how many nats of evidence a
standardised residual carries, read through this series' own recent tail.

A Gaussian reading of a heavy-tailed series pages on its ordinary excursions. Exceedances of
|z| >= LOW are counted (decayed) with the Hill estimate of their tail index; where the series
is heavy-tailed (index under ALPHA_LIGHT, fully under ALPHA_HEAVY), the residual is read
through the fitted Pareto tail, never as more surprising than a Gaussian would make it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LOW = 3.0  # exceedances start here
DECAY = 0.9995  # about the last two thousand residuals
PRIOR_K, PRIOR_ALPHA = 5.0, 20.0  # pseudo-exceedances of a light (Gaussian-like) tail
ALPHA_HEAVY = 4.0  # a tail index under this reads through the fitted tail fully
ALPHA_LIGHT = 7.0  # and over this not at all (a Gaussian's exceedances over 3 fit ~9-12)
MIN_K = 5.0  # exceedances before the fitted tail is trusted


def gauss_nats(size: float) -> float:
    """-ln P(|Z| >= size) for a standard normal Z; continuous, ~size^2 / 2 when large."""
    if size < 30.0:
        return -math.log(math.erfc(size / math.sqrt(2.0)))
    return 0.5 * size * size + math.log(size) + 0.5 * math.log(math.pi / 2.0)


@dataclass
class Tail:
    """Decayed count of rows, of exceedances and of their log-excess (the Hill sums)."""

    total: float = 0.0
    k: float = 0.0
    logs: float = 0.0

    def dump(self) -> dict[str, Any]:
        return {"total": self.total, "k": self.k, "logs": self.logs}

    def load(self, data: dict[str, Any]) -> None:
        if "k" not in data:
            return  # saved by the older binned version: start afresh
        self.total, self.k, self.logs = float(data["total"]), float(data["k"]), float(data["logs"])

    def alpha(self) -> float:
        return (self.k + PRIOR_K) / (self.logs + PRIOR_K / PRIOR_ALPHA)

    def nats(self, z: float) -> float:
        size = abs(z)
        gauss = gauss_nats(size)
        if size < LOW or self.k < MIN_K:
            return gauss
        alpha = self.alpha()
        if alpha >= ALPHA_LIGHT:
            return gauss
        rate = (self.k + 0.5) / (self.total + 1.0)
        fitted = min(gauss, -math.log(rate) + alpha * math.log(size / LOW))
        heavy = min(1.0, (ALPHA_LIGHT - alpha) / (ALPHA_LIGHT - ALPHA_HEAVY))
        return heavy * fitted + (1.0 - heavy) * gauss

    def learn(self, z: float) -> None:
        size = abs(z)
        self.total = DECAY * self.total + 1.0
        self.k *= DECAY
        self.logs *= DECAY
        if size >= LOW:
            self.k += 1.0
            self.logs += math.log(size / LOW)
