"""A smooth daily profile fitted to the hour-of-day buckets of a seasonal rate.

Each hourly bucket alone sees a few hundred events in its first days, so its factor is noisy
(about 1/sqrt(events)); that noise, not the change, was what slowed detection most. Daily cycles
are mostly smooth, so a fit of two daily harmonics (with separate weekday and weekend levels)
pools all 48 buckets. What the harmonics miss (a sharp hour such as a nightly batch) is kept by
empirical Bayes: each bucket's residual from the fit is shrunk by how much residual variance
the buckets show beyond their own sampling noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

HARMONICS = 2
BUCKETS = 48
COMPONENTS = 1 + HARMONICS  # a bucket's factor sums a level and one term per harmonic


def _design() -> NDArray[np.float64]:
    hours = np.arange(BUCKETS) % 24
    weekend = (np.arange(BUCKETS) >= 24).astype(np.float64)
    cols = [1.0 - weekend, weekend]
    for j in range(1, HARMONICS + 1):
        angle = 2.0 * np.pi * j * hours / 24.0
        cols += [np.cos(angle), np.sin(angle)]
    return np.stack(cols, axis=1)


DESIGN = _design()


@dataclass(frozen=True, slots=True)
class Profile:
    """Log factor per bucket and the variance of that estimate."""

    log_factor: NDArray[np.float64]
    variance: NDArray[np.float64]

    def factor(self, bucket: int) -> float:
        return math.exp(float(self.log_factor[bucket]))

    def dump(self) -> list[list[float]]:
        return [self.log_factor.tolist(), self.variance.tolist()]

    @classmethod
    def load(cls, log_factor: list[float], variance: list[float]) -> Profile:
        return cls(np.asarray(log_factor, dtype=np.float64), np.asarray(variance, dtype=np.float64))


def fit(fk: list[float], fe: list[float], prior: float) -> Profile:
    """`fk` events and `fe` expected events per bucket (expected from the overall rate). Before
    any data a bucket's factor is 1 +- 1/sqrt(`prior`): as if it had seen `prior` events."""
    k, e = np.asarray(fk, dtype=np.float64), np.asarray(fe, dtype=np.float64)
    seen = (k > 0) & (e > 0)
    raw = np.where(seen, np.log(np.maximum(k, 1e-9) / np.maximum(e, 1e-9)), 0.0)
    noise = 1.0 / np.maximum(k, 1.0)  # variance of a log ratio of counts
    weight = np.where(seen, k, 0.0)
    x = DESIGN
    precision = x.T @ (x * weight[:, None]) + prior * COMPONENTS * np.eye(x.shape[1])
    cov = np.linalg.inv(precision)
    beta = cov @ (x.T @ (weight * raw))
    smooth = x @ beta
    smooth_var = np.einsum("ij,jk,ik->i", x, cov, x)
    resid = raw - smooth
    count = int(seen.sum())
    # Residual variance beyond sampling noise: what the harmonics do not explain.
    excess = float(np.sum(np.where(seen, resid**2 - noise, 0.0)) / max(count, 1))
    tau2 = max(excess, 0.0)
    keep = np.where(seen, tau2 / (tau2 + noise), 0.0)
    log_factor = smooth + keep * resid
    variance = smooth_var + keep * noise
    return Profile(log_factor, variance)
