"""Scores on [0, 1]: a normal draw clipped to the scale, as an evaluator's scores are.

Clipping a wider normal lowers its mean (more of it falls past 1 than past 0 when the mean is
high), so a version that only scores more noisily would read as a small quality drop: with a
spread of 0.2 instead of 0.15 around 0.85 the clipped mean falls by about 0.02, half an
injected score regression. A noisy version is noise, not a drop, so its draws are centred
where their clipped mean is the healthy one's (`centre_for`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _cdf(z: Floats) -> Floats:
    return 0.5 * (1.0 + np.asarray(_erf(z / _SQRT2), dtype=np.float64))


def _pdf(z: Floats) -> Floats:
    out: Floats = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return out


def clipped_mean(mu: Floats, sd: Floats) -> Floats:
    """E[clip(X, 0, 1)] for X ~ N(mu, sd)."""
    a, b = -mu / sd, (1.0 - mu) / sd
    inside = _cdf(b) - _cdf(a)
    out: Floats = mu * inside + sd * (_pdf(a) - _pdf(b)) + (1.0 - _cdf(b))
    return out


def centre_for(mean: Floats, sd: Floats, base_sd: float) -> Floats:
    """Where to centre draws of spread `sd` so that, clipped, their mean is what draws of
    spread `base_sd` centred on `mean` have (Newton's method; the derivative of the clipped
    mean in the centre is the share of draws inside the scale)."""
    mean, sd = np.broadcast_arrays(np.asarray(mean, float), np.asarray(sd, float))
    target = clipped_mean(mean, np.full_like(mean, base_sd))
    centre = mean.copy()
    for _ in range(8):
        a, b = -centre / sd, (1.0 - centre) / sd
        slope = np.maximum(_cdf(b) - _cdf(a), 1e-6)
        centre = centre - (clipped_mean(centre, sd) - target) / slope
    return centre


def draw_scores(
    rng: np.random.Generator, mean: Floats | float, sd: Floats | float, base_sd: float
) -> Floats:
    """One score per output on [0, 1]. Outputs whose spread is not `base_sd` (a noisy version)
    are centred so their clipped mean is the healthy one's; the draws themselves are the ones
    a plain `rng.normal(mean, sd)` makes, so every other value of a scenario stays as it was."""
    n = np.broadcast_shapes(np.shape(mean), np.shape(sd))
    noise = rng.standard_normal(n if n else None)
    mean_a = np.broadcast_to(np.asarray(mean, float), np.shape(noise)).copy()
    sd_a = np.broadcast_to(np.asarray(sd, float), np.shape(noise))
    wide = sd_a != base_sd
    if np.any(wide):
        # Few distinct (mean, spread) pairs (a ramp adds one a minute): solve each once.
        pairs, index = np.unique(np.stack([mean_a[wide], sd_a[wide]]), axis=1, return_inverse=True)
        mean_a[wide] = centre_for(pairs[0], pairs[1], base_sd)[index.ravel()]
    out: Floats = np.clip(mean_a + sd_a * noise, 0.0, 1.0)
    return out
